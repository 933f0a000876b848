"""Sơn La 2024 rebuilt from generated works: 307 entries, 298 eligible, 4 second, 8 third, 9 consolation."""

from __future__ import annotations

import random

from contest import storage
from contest.services import jury, prize_lists, prize_plans, screening, works
from contest.services.context import Actor
from contest.services.results import approved_awards
from tests.factories import bulk_entrants, make_staff, make_works_contest, pdf_file

PLAN = {
    "order": ["correct", "submitted_at"],
    "tiers": [
        {
            "code": "first",
            "label_vi": "Giải Nhất",
            "label_en": "First prize",
            "rank_order": 1,
            "quota": 1,
            "min_score": 90,
        },
        {
            "code": "second",
            "label_vi": "Giải Nhì",
            "label_en": "Second prize",
            "rank_order": 2,
            "quota": 4,
            "min_score": 80,
        },
        {
            "code": "third",
            "label_vi": "Giải Ba",
            "label_en": "Third prize",
            "rank_order": 3,
            "quota": 8,
            "min_score": 70,
        },
        {
            "code": "consolation",
            "label_vi": "Giải Khuyến khích",
            "label_en": "Consolation prize",
            "rank_order": 4,
            "quota": 9,
            "min_score": 60,
        },
    ],
}


def _values(total: float) -> dict[str, float]:
    return {c["code"]: c["max_points"] * total / 100 for c in works.DEFAULT_RUBRIC}


def test_son_la_2024_works_contest_end_to_end(db, tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_UPLOAD_DIR", str(tmp_path))
    rng = random.Random(2024)
    excluded = None
    contest = make_works_contest(db, "son-la-2024-tac-pham")
    organiser = make_staff(db, "bantochuc-sl", ["organiser"])
    member = make_staff(db, "uyvien-sl", ["committee_member"])
    chair = make_staff(db, "truongban-sl", ["committee_chair", "committee_member"])
    judge_a = make_staff(db, "giamkhao-a", ["judge"])
    judge_b = make_staff(db, "giamkhao-b", ["judge"])
    org, com, cha = (Actor("staff", s.id, s.username) for s in (organiser, member, chair))

    # 150 works by single authors, 157 by groups of two.
    people = bulk_entrants(db, contest, 150 + 2 * 157)
    excluded = [people[10].citizen_id, people[11].citizen_id]
    settings = works.settings_for(db, contest)
    works.save_settings(db, org, contest, deadline=settings.deadline, excluded_citizen_ids=excluded)
    received = []
    for n in range(307):
        # Works 300 and 301 copy the files of works 0 and 1 byte for byte.
        files = ((f"bai-{n}.pdf", pdf_file(str(n - 300) if n in (300, 301) else str(n))),)
        common = dict(
            title=f"Chuyển đổi số ở bản em {n + 1}",
            category="article" if n % 3 else "video",
            description="Câu chuyện chuyển đổi số ở Sơn La.",
            files=files,
        )
        if n < 150:
            received.append(works.ReceivedWork(author_id=people[n].id, **common))
        else:
            g = n - 150
            received.append(
                works.ReceivedWork(
                    group_name=f"Nhóm tác giả số {g + 1}",
                    member_ids=(people[150 + 2 * g].id, people[151 + 2 * g].id),
                    **common,
                )
            )
    submitted = works.register_received(db, org, contest, received)
    assert len(submitted) == 307

    # Three works whose file went missing from storage.
    for w in submitted[20:23]:
        storage.get_store().delete(db, w.files[0].stored_path)
    verdicts = works.work_verdicts(db, contest)
    flagged = sorted(wid for wid, v in verdicts.items() if v.flags)
    copies = [submitted[300].id, submitted[301].id]
    originals = [submitted[0].id, submitted[1].id]
    expected = sorted(
        [*(w.id for w in submitted[10:12]), *(w.id for w in submitted[20:23]), *copies, *originals]
    )
    assert flagged == expected
    codes = {wid: {f.code.value for f in verdicts[wid].flags} for wid in flagged}
    assert codes[submitted[10].id] == {"excluded_staff"}
    assert codes[submitted[20].id] == {"work_files"}
    assert codes[copies[0]] == {"duplicate_work"}

    screening.decide_works(
        db, com, contest.id, originals, True, "Bản gốc, nộp trước; bản sao là tác phẩm khác"
    )
    screening.decide_works(
        db,
        com,
        contest.id,
        [wid for wid in flagged if wid not in originals],
        False,
        "Không đáp ứng yêu cầu của thể lệ",
    )
    off_theme = [submitted[40].id, submitted[41].id]
    screening.decide_works(
        db, com, contest.id, off_theme, False, "Ngoài chủ đề chuyển đổi số của cuộc thi"
    )
    verdicts = works.work_verdicts(db, contest)
    eligible = [w for w in submitted if verdicts[w.id].eligible]
    assert len(submitted) - len(eligible) == 9
    assert len(eligible) == 298

    for judge in (judge_a, judge_b):
        report = jury.assign(db, org, contest, judge.id, [w.id for w in submitted])
        assert report.assigned == 298 and len(report.skipped_ineligible) == 9

    # 3 individual and 18 group works win; everyone else stays below the consolation bar.
    singles = [w for w in eligible if w.group_id is None]
    groups = [w for w in eligible if w.group_id is not None]
    winners = rng.sample(singles, 3) + rng.sample(groups, 18)
    rng.shuffle(winners)
    targets = dict.fromkeys((w.id for w in eligible), 0.0)
    tops = [88, 86, 84, 82, 79, 78, 77, 76, 75, 74, 73, 72, 69, 68, 67, 66, 65, 64, 63, 62, 61]
    for w, t in zip(winners, tops, strict=True):
        targets[w.id] = t
    for w in eligible:
        if not targets[w.id]:
            targets[w.id] = rng.randint(20, 55)
    for judge, delta in ((judge_a, 2), (judge_b, -2)):
        jury.submit_scores(
            db,
            Actor("staff", judge.id, judge.username),
            contest,
            {w.id: _values(targets[w.id] + delta) for w in eligible},
        )

    table = {r.work.id: r for r in jury.jury_table(db, contest)}
    assert all(table[w.id].spread == 4 and table[w.id].score == targets[w.id] for w in eligible)

    prize_plans.save_plan(db, org, contest, PLAN)
    result = jury.allocate(db, com, contest)
    assert result.by_tier == {"first": 0, "second": 4, "third": 8, "consolation": 9}
    pl = result.prize_list
    assert pl.kind == "works" and len(pl.entries) == 21
    won = {e.work_id for e in pl.entries}
    assert won == {w.id for w in winners}
    by_id = {w.id: w for w in submitted}
    assert sum(1 for wid in won if by_id[wid].group_id is None) == 3
    assert sum(1 for wid in won if by_id[wid].group_id is not None) == 18

    prize_lists.propose(db, com, pl)
    prize_lists.approve(db, cha, pl)
    prize_lists.publish(db, com, pl)
    awards = approved_awards(db, contest.id)
    kinds = [a.recipient_kind for a in awards]
    assert kinds.count("individual") == 3
    assert kinds.count("group") == 18
    assert kinds.count("group_member") == 36
    assert len({a.award_key for a in awards}) == len(awards)
