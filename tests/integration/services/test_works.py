"""Works contests on both databases: drafts, deadline, file checks, screening, jury rules, allocation, certificates."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from contest import clock, storage
from contest.domain.errors import ContestError, InvalidInput, NotFound, PermissionDenied
from contest.models import AuditEntry, EligibilityDecision, Unit, WorkScore
from contest.services import certificates, jury, prize_lists, prize_plans, prizes, screening, works
from contest.services.context import Actor
from contest.services.results import approved_awards
from tests.factories import make_entrant, make_participant, make_staff, make_works_contest, pdf_file


@pytest.fixture
def uploads(tmp_path, monkeypatch):
    monkeypatch.setenv("CONTEST_UPLOAD_DIR", str(tmp_path))
    return tmp_path


def _as(p) -> Actor:
    return Actor("participant", p.id)


def _staff(s) -> Actor:
    return Actor("staff", s.id, s.username)


def _docx() -> bytes:
    # Fixed entry times: writestr(name) stamps the current second, and two calls a second
    # apart would build different bytes.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in (
            ("[Content_Types].xml", "<Types/>"),
            ("word/document.xml", "<w:document/>"),
        ):
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


def _draft(db, contest, p, title="Sơn La số", group=None):
    return works.save_draft(
        db,
        _as(p),
        contest,
        p,
        works.WorkInput(
            title=title,
            category="article",
            description="Mô tả tác phẩm.",
            group_id=group.id if group else None,
        ),
    )


def test_a_draft_is_saved_edited_and_submitted_once_before_the_deadline(db, uploads):
    contest = make_works_contest(db, days=2)
    p = make_entrant(db, contest)
    w = _draft(db, contest, p, title="Bản nháp")
    assert w.status == "draft"
    w = works.save_draft(
        db,
        _as(p),
        contest,
        p,
        works.WorkInput(title="Bản hoàn chỉnh", category="video", description="Mô tả."),
        work=w,
    )
    with pytest.raises(ContestError) as missing:
        works.submit(db, _as(p), contest, p, w, declaration=False)
    assert "cam kết" in missing.value.message_vi
    works.upload_file(db, _as(p), contest, p, w, "bai.pdf", io.BytesIO(pdf_file("a")))
    clock.freeze(clock.now())
    works.submit(db, _as(p), contest, p, w, declaration=True)
    assert w.status == "submitted" and w.submitted_at == clock.now() and w.declaration
    with pytest.raises(ContestError) as final:
        works.save_draft(db, _as(p), contest, p, works.WorkInput(title="Sửa sau khi nộp"), work=w)
    assert final.value.field == "status"
    assert w.title == "Bản hoàn chỉnh"


def test_after_the_deadline_nothing_changes(db, uploads):
    contest = make_works_contest(db, days=1)
    p = make_entrant(db, contest)
    w = _draft(db, contest, p)
    works.upload_file(db, _as(p), contest, p, w, "bai.pdf", io.BytesIO(pdf_file("b")))
    clock.shift(timedelta(days=1, seconds=1))
    for attempt in (
        lambda: works.submit(db, _as(p), contest, p, w, declaration=True),
        lambda: works.save_draft(db, _as(p), contest, p, works.WorkInput(title="Muộn"), work=w),
        lambda: works.upload_file(db, _as(p), contest, p, w, "x.pdf", io.BytesIO(pdf_file("c"))),
        lambda: _draft(db, contest, p),
    ):
        with pytest.raises(ContestError) as late:
            attempt()
        assert late.value.field == "deadline"
    assert w.status == "draft" and len(w.files) == 1


def test_files_are_sniffed_from_content_and_size_limits_hold(db, uploads):
    contest = make_works_contest(
        db, max_bytes={"pdf": 200, "png": 1000, "jpeg": 1000, "docx": 5000, "mp4": 1000}
    )
    p = make_entrant(db, contest)
    w = _draft(db, contest, p)
    with pytest.raises(ContestError) as exe:
        works.upload_file(
            db, _as(p), contest, p, w, "bai-du-thi.pdf", io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100)
        )
    assert exe.value.field == "file" and "Loại tệp" in exe.value.message_vi
    with pytest.raises(ContestError) as big:
        works.upload_file(
            db, _as(p), contest, p, w, "lon.pdf", io.BytesIO(b"%PDF-1.7\n" + b"0" * 300)
        )
    assert "dung lượng" in big.value.message_vi
    with pytest.raises(ContestError):
        zipped = io.BytesIO()
        with zipfile.ZipFile(zipped, "w") as z:
            z.writestr("virus.exe", "MZ")
        works.upload_file(db, _as(p), contest, p, w, "van-ban.docx", io.BytesIO(zipped.getvalue()))
    # Refused uploads leave nothing behind.
    assert storage.get_store().total_bytes(db, f"works/{contest.id}/") == 0
    # Built once: two .docx built a second apart differ in their zip timestamps.
    docx_bytes = _docx()
    docx = works.upload_file(
        db, _as(p), contest, p, w, "ban-thuyet-minh.pdf", io.BytesIO(docx_bytes)
    )
    png = works.upload_file(
        db, _as(p), contest, p, w, "anh.jpg", io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"1" * 50)
    )
    mp4 = works.upload_file(
        db, _as(p), contest, p, w, "clip.bin", io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + b"2" * 40)
    )
    assert (docx.sniffed_type, png.sniffed_type, mp4.sniffed_type) == ("docx", "png", "mp4")
    # In the file store every host reads, under a random key; nothing on this host's disk.
    prefix, contest_id, name = docx.stored_path.split("/")
    assert (prefix, contest_id, len(name)) == ("works", str(contest.id), 32)
    assert b"".join(works.file_chunks(db, docx)) == docx_bytes
    assert list(uploads.iterdir()) == []
    assert storage.get_store().total_bytes(db, f"works/{contest.id}/") == len(docx_bytes) + 58 + 52


def test_groups_need_registered_members(db, uploads):
    contest = make_works_contest(db)
    a = make_entrant(db, contest, "Lò Thị Mai")
    b = make_entrant(db, contest, "Quàng Văn Hùng")
    group = works.create_group(db, _as(a), contest, a, "Nhóm Bản Mòng", [b.citizen_id])
    works.accept_invitation(db, _as(b), contest, b, group.id)
    assert [m.participant_id for m in group.members] == [a.id, b.id]
    w = _draft(db, contest, b, group=group)
    assert works.works_of(db, a) == [w] and works.works_of(db, b) == [w]
    stranger = make_entrant(db, contest, "Người Ngoài")
    with pytest.raises(NotFound):
        works.save_draft(db, _as(stranger), contest, stranger, works.WorkInput(title="x"), work=w)


def test_an_invited_member_joins_only_by_accepting_and_unknown_numbers_are_not_revealed(
    db, uploads
):
    contest = make_works_contest(db)
    a = make_entrant(db, contest, "Lò Thị Mai")
    b = make_entrant(db, contest, "Quàng Văn Hùng")
    # An unknown CCCD is not an error: the answer is the same as for a registered one.
    lone = works.create_group(db, _as(a), contest, a, "Nhóm Thử", ["014099000001"])
    assert [m.participant_id for m in lone.members] == [a.id]
    group = works.create_group(
        db, _as(a), contest, a, "Nhóm Bản Mòng", [b.citizen_id, "014099000001"]
    )
    assert [(m.participant_id, m.status) for m in group.members] == [
        (a.id, "accepted"),
        (b.id, "pending"),
    ]
    assert works.groups_of(db, b) == [] and works.invitations_of(db, b) == [group]
    assert works.pending_invitees(db, group) == ["****" + b.citizen_id[-4:]]
    w = _draft(db, contest, a, group=group)
    works.upload_file(db, _as(a), contest, a, w, "a.pdf", io.BytesIO(pdf_file("moi")))
    assert works.people_of(db, [w]).keys() == {
        a.id
    }  # the invitee's name is not loaded for the group
    assert not works.is_author(w, b) and works.works_of(db, b) == []
    with pytest.raises(ContestError, match="not accepted yet"):
        works.submit(db, _as(a), contest, a, w, declaration=True)
    with pytest.raises(NotFound):
        works.accept_invitation(db, _as(a), contest, a, group.id)  # only the invitee answers
    works.accept_invitation(db, _as(b), contest, b, group.id)
    assert works.is_author(w, b) and works.pending_invitees(db, group) == []
    works.submit(db, _as(a), contest, a, w, declaration=True)
    actions = set(
        db.execute(select(AuditEntry.action).where(AuditEntry.object_id == str(group.id))).scalars()
    )
    assert {"works.create_group", "works.accept_group"} <= actions


def test_a_declined_invitation_removes_the_member_and_the_group_cannot_submit_alone(db, uploads):
    contest = make_works_contest(db)
    a = make_entrant(db, contest, "Lò Thị Mai")
    b = make_entrant(db, contest, "Quàng Văn Hùng")
    group = works.create_group(db, _as(a), contest, a, "Nhóm Bản Mòng", [b.citizen_id])
    w = _draft(db, contest, a, group=group)
    works.upload_file(db, _as(a), contest, a, w, "a.pdf", io.BytesIO(pdf_file("tu-choi")))
    works.decline_invitation(db, _as(b), contest, b, group.id)
    db.refresh(group)
    assert [m.participant_id for m in group.members] == [a.id] and works.invitations_of(db, b) == []
    with pytest.raises(ContestError, match="two members"):
        works.submit(db, _as(a), contest, a, w, declaration=True)
    assert db.execute(
        select(AuditEntry).where(AuditEntry.action == "works.decline_group")
    ).scalar_one()


def _submitted(db, contest, p, tag, group=None):
    w = _draft(db, contest, p, title=f"Tác phẩm {tag}", group=group)
    works.upload_file(db, _as(p), contest, p, w, f"{tag}.pdf", io.BytesIO(pdf_file(tag)))
    return works.submit(db, _as(p), contest, p, w, declaration=True)


def test_screening_flags_feed_the_shared_decision_table(db, uploads):
    staff_cid = "020085999999"
    contest = make_works_contest(db, excluded_citizen_ids=[staff_cid])
    member = make_staff(db, "uyvien", ["committee_member"])
    ok = _submitted(db, contest, make_entrant(db, contest), "ok")
    excluded = _submitted(
        db,
        contest,
        make_participant(
            db,
            contest,
            citizen_id=staff_cid,
            date_of_birth="02/01/1985",
            gender="male",
            phone="0987000111",
        ),
        "staff",
    )
    gone = _submitted(db, contest, make_entrant(db, contest), "gone")
    storage.get_store().delete(db, gone.files[0].stored_path)
    copier = make_entrant(db, contest)
    copy = _draft(db, contest, copier)
    works.upload_file(db, _as(copier), contest, copier, copy, "sao.pdf", io.BytesIO(pdf_file("ok")))
    works.submit(db, _as(copier), contest, copier, copy, declaration=True)
    v = works.work_verdicts(db, contest)
    assert {f.code.value for f in v[excluded.id].flags} == {"excluded_staff"}
    assert {f.code.value for f in v[gone.id].flags} == {"work_files"}
    assert {f.code.value for f in v[copy.id].flags} == {"duplicate_work"}
    assert not v[ok.id].eligible and v[ok.id].needs_decision
    with pytest.raises(ContestError):
        screening.decide_works(db, _staff(member), contest.id, [ok.id], True, "  ")
    screening.decide_works(db, _staff(member), contest.id, [ok.id], True, "Bản gốc")
    screening.decide_works(db, _staff(member), contest.id, [ok.id], False, "Ngoài chủ đề")
    screening.decide_works(db, _staff(member), contest.id, [ok.id], True, "Xem lại: đúng chủ đề")
    v = works.work_verdicts(db, contest)
    assert v[ok.id].eligible and v[ok.id].reason_vi == "Xem lại: đúng chủ đề"
    rows = (
        db.execute(
            select(EligibilityDecision).where(
                EligibilityDecision.subject_kind == "work", EligibilityDecision.subject_id == ok.id
            )
        )
        .scalars()
        .all()
    )
    assert len(rows) == 3
    assert db.execute(
        select(AuditEntry).where(
            AuditEntry.action == "screening.decide", AuditEntry.object_type == "work"
        )
    ).first()


@pytest.fixture
def jury_setup(db, uploads):
    contest = make_works_contest(db, "tac-pham-ban-giam-khao", trim=0)
    organiser = make_staff(db, "bantochuc-tp", ["organiser"])
    member = make_staff(db, "uyvien-tp", ["committee_member"])
    chair = make_staff(db, "truongban-tp", ["committee_chair", "committee_member"])
    a = make_staff(db, "giamkhao-1", ["judge"])
    b = make_staff(db, "giamkhao-2", ["judge"])
    unit_td = db.execute(
        select(Unit).where(Unit.contest_id == contest.id, Unit.code == "LS-TD")
    ).scalar_one()
    author = make_entrant(db, contest, "Hà Thị Lan")
    w = _submitted(db, contest, author, "lan")
    local = make_entrant(db, contest, "Đinh Văn Tràng", unit_code="LS-TD")
    partner = make_entrant(db, contest, "Vi Thị Hoa")
    group = works.create_group(
        db, _as(partner), contest, partner, "Nhóm Tràng Định", [local.citizen_id]
    )
    works.accept_invitation(db, _as(local), contest, local, group.id)
    gw = _submitted(db, contest, partner, "nhom", group=group)
    return dict(
        contest=contest,
        organiser=organiser,
        member=member,
        chair=chair,
        a=a,
        b=b,
        w=w,
        gw=gw,
        unit_td=unit_td,
        author=author,
        group=group,
    )


def test_a_judge_cannot_score_a_work_from_their_own_unit(db, jury_setup):
    s = jury_setup
    contest, a = s["contest"], s["a"]
    jury.declare_units(
        db, _staff(a), contest, a.id, [s["unit_td"].id], "Công tác tại huyện Tràng Định"
    )
    report = jury.assign(db, _staff(s["organiser"]), contest, a.id, [s["w"].id, s["gw"].id])
    assert report.assigned == 1 and report.skipped_conflict == [s["gw"].id]
    with pytest.raises(NotFound):
        jury.save_score(db, _staff(a), contest, s["gw"], works.DEFAULT_RUBRIC and {}, submit=True)
    jury.declare_conflict(db, _staff(a), s["w"], "Tác giả là người thân")
    with pytest.raises(PermissionDenied):
        jury.save_score(
            db,
            _staff(a),
            contest,
            s["w"],
            {"content": 30, "creativity": 20, "impact": 10, "form": 5},
            submit=True,
        )


def test_judges_see_colleagues_scores_only_after_submitting_and_rescore_keeps_history(
    db, jury_setup
):
    s = jury_setup
    contest, a, b, w = s["contest"], s["a"], s["b"], s["w"]
    for judge in (a, b):
        jury.assign(db, _staff(s["organiser"]), contest, judge.id, [w.id])
    jury.save_score(
        db,
        _staff(a),
        contest,
        w,
        {"content": 36, "creativity": 27, "impact": 18, "form": 9},
        submit=True,
    )
    assert jury.others_scores(db, b.id, w.id) is None  # b has not scored
    jury.save_score(
        db, _staff(b), contest, w, {"content": 20}, submit=False
    )  # a draft does not unlock either
    assert jury.others_scores(db, b.id, w.id) is None
    assert [x.total for x in jury.others_scores(db, a.id, w.id)] == []
    with pytest.raises(ContestError):
        jury.save_score(db, _staff(b), contest, w, {"content": 20}, submit=True)  # incomplete sheet
    jury.save_score(
        db,
        _staff(b),
        contest,
        w,
        {"content": 20, "creativity": 15, "impact": 10, "form": 5},
        submit=True,
    )
    assert [x.total for x in jury.others_scores(db, b.id, w.id)] == [90.0]
    with pytest.raises(ContestError):
        jury.save_score(
            db,
            _staff(a),
            contest,
            w,
            {"content": 40, "creativity": 30, "impact": 20, "form": 10},
            submit=True,
        )
    row = next(r for r in jury.jury_table(db, contest) if r.work.id == w.id)
    assert (row.score, row.spread) == (70.0, 40.0)
    with pytest.raises(PermissionDenied):
        jury.request_rescore(db, _staff(s["organiser"]), contest, w, b.id, "Chênh lệch lớn")
    jury.request_rescore(
        db, _staff(s["member"]), contest, w, b.id, "Chênh lệch 40 điểm giữa hai giám khảo"
    )
    assert jury.others_scores(db, b.id, w.id) is None
    jury.save_score(
        db,
        _staff(b),
        contest,
        w,
        {"content": 32, "creativity": 24, "impact": 16, "form": 8},
        submit=True,
    )
    row = next(r for r in jury.jury_table(db, contest) if r.work.id == w.id)
    assert (row.score, row.spread) == (85.0, 10.0)
    sheets = (
        db.execute(
            select(WorkScore)
            .where(WorkScore.work_id == w.id, WorkScore.judge_id == b.id)
            .order_by(WorkScore.id)
        )
        .scalars()
        .all()
    )
    assert [x.total for x in sheets] == [50.0, 80.0] and sheets[0].reopened_at is not None


def test_trimmed_mean_drops_the_extremes(db, uploads):
    contest = make_works_contest(db, trim=1)
    judges = [make_staff(db, f"gk-{i}", ["judge"]) for i in range(4)]
    w = _submitted(db, contest, make_entrant(db, contest), "trim")
    org = make_staff(db, "btc-trim", ["organiser"])
    for j, total in zip(judges, (100, 80, 70, 10), strict=True):
        jury.assign(db, _staff(org), contest, j.id, [w.id])
        jury.save_score(
            db,
            _staff(j),
            contest,
            w,
            {c["code"]: c["max_points"] * total / 100 for c in works.DEFAULT_RUBRIC},
            submit=True,
        )
    row = jury.jury_table(db, contest)[0]
    assert row.score == 75.0 and row.spread == 90.0


def test_allocation_approval_and_certificates_for_an_author_and_a_group(db, jury_setup):
    s = jury_setup
    contest, a, b = s["contest"], s["a"], s["b"]
    for judge in (a, b):
        jury.assign(db, _staff(s["organiser"]), contest, judge.id, [s["w"].id, s["gw"].id])
    for judge in (a, b):
        jury.submit_scores(
            db,
            _staff(judge),
            contest,
            {
                s["w"].id: {"content": 34, "creativity": 25, "impact": 17, "form": 8},
                s["gw"].id: {"content": 30, "creativity": 22, "impact": 14, "form": 7},
            },
        )
    prize_plans.save_plan(
        db,
        _staff(s["organiser"]),
        contest,
        {
            "order": ["correct", "submitted_at"],
            "tiers": [
                {
                    "code": "first",
                    "label_vi": "Giải Nhất",
                    "rank_order": 1,
                    "quota": 1,
                    "min_score": 90,
                },
                {
                    "code": "second",
                    "label_vi": "Giải Nhì",
                    "rank_order": 2,
                    "quota": 1,
                    "min_score": 80,
                },
                {
                    "code": "third",
                    "label_vi": "Giải Ba",
                    "rank_order": 3,
                    "quota": 1,
                    "min_score": 70,
                },
            ],
        },
    )
    with pytest.raises(PermissionDenied):
        jury.allocate(db, _staff(s["organiser"]), contest)
    result = jury.allocate(db, _staff(s["member"]), contest)
    assert result.by_tier == {"first": 0, "second": 1, "third": 1}
    pl = result.prize_list
    assert [(e.work_id, e.tier_code) for e in pl.entries] == [
        (s["w"].id, "second"),
        (s["gw"].id, "third"),
    ]
    assert approved_awards(db, contest.id) == []  # nothing before approval
    # A works list is one more kind of list: the same owner finds it and the same page shows it.
    assert prize_lists.list_in_contest(db, contest, pl.id, "works") is pl
    with pytest.raises(NotFound):
        prize_lists.list_in_contest(db, contest, pl.id, "individual")
    view = prizes.list_view(db, contest, pl)
    assert set(view.items) == {s["w"].id, s["gw"].id} and view.status.editable
    prize_lists.propose(db, _staff(s["member"]), pl)
    prize_lists.approve(db, _staff(s["chair"]), pl)
    awards = approved_awards(db, contest.id)
    assert [(x.recipient_kind, x.recipient_name, x.tier_code) for x in awards] == [
        ("individual", "Hà Thị Lan", "second"),
        ("group", "Nhóm Tràng Định", "third"),
        ("group_member", "Vi Thị Hoa", "third"),
        ("group_member", "Đinh Văn Tràng", "third"),
    ]
    assert "Tác phẩm nhom" in awards[1].achievement_vi
    report = certificates.issue_certificates(db, _staff(s["chair"]), awards)
    assert len(report.issued) == 4
    again = certificates.issue_certificates(db, _staff(s["chair"]), approved_awards(db, contest.id))
    assert again.issued == []
    with pytest.raises(ContestError):
        prizes.set_entry_tier(
            db, _staff(s["member"]), pl.entries[0].id, "first", "Sửa sau phê duyệt"
        )


def test_one_request_cannot_invite_thousands_of_citizen_ids(db, uploads):
    """Issue 13, finding 6: 3,007 CCCDs in one request showed which were registered."""
    from contest.domain.errors import ContestError

    contest = make_works_contest(db)
    a = make_entrant(db, contest, "Lò Thị Mai")
    many = [f"0140990{n:05d}" for n in range(3007)]
    with pytest.raises(ContestError) as exc:
        works.create_group(db, _as(a), contest, a, "Nhóm Dò", many)
    assert "At most 10 members" in exc.value.message_en and "3007" in exc.value.message_vi
    assert works.groups_of(db, a) == []
    group = works.create_group(db, _as(a), contest, a, "Nhóm Nhỏ", many[: works.MAX_INVITATIONS])
    assert [m.participant_id for m in group.members] == [a.id]


def test_settings_from_a_form_check_every_field_and_lock_the_rubric_once_scored(db, jury_setup):
    s = jury_setup
    contest, a, w = s["contest"], s["a"], s["w"]
    organiser = _staff(s["organiser"])
    data = works.SettingsInput.of(works.settings_for(db, contest))
    assert [c.code for c in data.rubric] == ["content", "creativity", "impact", "form"]
    bad = works.SettingsInput(
        deadline="31/02/2024",
        allowed_types=["exe"],
        max_files="0",
        trim="-1",
        excluded="12345",
        rubric=[works.CriterionInput("x", "", "", "abc", "")],
    )
    with pytest.raises(InvalidInput) as refused:
        works.save_settings_input(db, organiser, contest, bad)
    fields = {e.field for e in refused.value.errors}
    assert fields == {"deadline", "allowed_types", "max_files", "trim", "excluded", "rubric"}
    assert all(e.message_vi and e.message_en for e in refused.value.errors)

    data.rubric.append(works.CriterionInput("reach", "Lan tỏa", "", "10", "5"))
    data.max_mb["pdf"] = "5"
    saved = works.save_settings_input(db, organiser, contest, data)
    assert [c["code"] for c in saved.rubric][-1] == "reach" and saved.max_bytes["pdf"] == 5 * 2**20
    assert saved.rubric[-1]["label_en"] == "Lan tỏa"  # no English label: the Vietnamese one

    jury.assign(db, organiser, contest, a.id, [w.id])
    jury.save_score(db, _staff(a), contest, w, {"content": 30})
    assert works.rubric_in_use(db, contest)
    data.rubric.pop()
    with pytest.raises(InvalidInput) as locked:
        works.save_settings_input(db, organiser, contest, data)
    assert locked.value.errors[0].field == "rubric"
    data = works.SettingsInput.of(works.settings_for(db, contest))
    data.theme_vi = "Chuyển đổi số ở Lạng Sơn"  # other settings still change
    assert works.save_settings_input(db, organiser, contest, data).theme_vi.startswith("Chuyển")
