"""A small works contest in the demo, modelled on Sơn La 2024: authors, groups, screening, two judges, an approved list."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.models import Participant, StaffUser
from contest.services import (
    accounts,
    contests,
    jury,
    prize_lists,
    prize_plans,
    screening,
    units,
    works,
)
from contest.services.context import SYSTEM, Actor

SLUG = "son-la-2024-tac-pham"
PASSWORD = "demo-tacgia-2024"  # demo authors' password; never use outside a demo
UNITS = (
    "code,name,parent_code,headcount\n"
    "SL,Tỉnh Sơn La,,\n"
    "SL-TP,Thành phố Sơn La,SL,\n"
    "SL-MC,Huyện Mộc Châu,SL,\n"
    "SL-TC,Huyện Thuận Châu,SL,\n"
    "SL-STTTT,Sở Thông tin và Truyền thông,SL,\n"
).encode()
# (name, gender, date of birth, CCCD, phone, unit)
AUTHORS = (
    ("Lò Văn Hưởng", "male", "12/03/1990", "014090001201", "0912000101", "SL-TP"),
    ("Cầm Thị Ngọc", "female", "05/11/1995", "014195001202", "0912000102", "SL-MC"),
    ("Quàng Văn Dũng", "male", "20/07/1988", "014088001203", "0912000103", "SL-TC"),
    ("Hà Thị Thu", "female", "01/02/1992", "014192001204", "0912000104", "SL-TP"),
    ("Lường Văn Tiến", "male", "14/09/1993", "014093001205", "0912000105", "SL-TP"),
    ("Tòng Thị Mai", "female", "23/04/1997", "014197001206", "0912000106", "SL-MC"),
    ("Vì Văn Quân", "male", "30/06/1991", "014091001207", "0912000107", "SL-TC"),
    ("Đinh Thị Hoa", "female", "09/12/1994", "014194001208", "0912000108", "SL-STTTT"),
)
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
            "quota": 1,
            "min_score": 80,
        },
        {
            "code": "third",
            "label_vi": "Giải Ba",
            "label_en": "Third prize",
            "rank_order": 3,
            "quota": 1,
            "min_score": 70,
        },
        {
            "code": "consolation",
            "label_vi": "Giải Khuyến khích",
            "label_en": "Consolation prize",
            "rank_order": 4,
            "quota": 2,
            "min_score": 60,
        },
    ],
}


def _pdf(tag: str) -> bytes:
    return b"%PDF-1.4\n% demo " + tag.encode() + b"\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _staff(db: Session, username: str) -> Actor:
    user = db.execute(select(StaffUser).where(StaffUser.username == username)).scalar_one()
    return Actor("staff", user.id, user.username)


def _sheet(total: float) -> dict[str, float]:
    return {c["code"]: c["max_points"] * total / 100 for c in works.DEFAULT_RUBRIC}


def load_demo_works(db: Session) -> None:
    """Idempotent: nothing happens when the contest is already there. Entries stay open for a
    month so visitors can still submit, while the first batch is already judged."""
    if contests.find_by_slug(db, SLUG) is not None:
        return
    contest = contests.create_contest(
        db,
        SYSTEM,
        contests.ContestSpec(
            status="published",
            slug=SLUG,
            title_vi="Cuộc thi “Tìm hiểu và tuyên truyền về chuyển đổi số tỉnh Sơn La năm 2024”",
            title_en="Learning about and promoting digital transformation in Sơn La province 2024",
            organiser_vi="BAN CHỈ ĐẠO 1168 TỈNH SƠN LA",
            place_vi="Sơn La",
            rules_vi="Tác phẩm (bài viết, video, infographic, ý tưởng) của cá nhân hoặc nhóm tác giả về chuyển đổi số.",
            rules_en="Works (articles, videos, infographics, ideas) by authors or author groups on digital transformation.",
        ),
    )
    units.import_units(db, SYSTEM, contest, UNITS, "units.csv")
    works.save_settings(
        db,
        SYSTEM,
        contest,
        deadline=clock.now() + timedelta(days=30),
        theme_vi="Chuyển đổi số tỉnh Sơn La",
    )
    people: list[Participant] = []
    for name, gender, born, cid, phone, unit in AUTHORS:
        p = accounts.register_participant(
            db,
            contest,
            accounts.RegistrationInput(
                full_name=name,
                date_of_birth=born,
                gender=gender,
                citizen_id=cid,
                phone=phone,
                email="",
                unit_code=unit,
                password=PASSWORD,
                consent=True,
            ),
            ip="127.0.0.1",
            user_agent="demo",
        )
        assert p is not None, cid  # a fresh contest: every demo CCCD is new
        people.append(p)
    organiser, member, chair = (
        _staff(db, "bantochuc"),
        _staff(db, "giamkhao"),
        _staff(db, "truongban"),
    )
    received = [
        works.ReceivedWork(
            "Sổ tay “Bình dân học vụ số” cho bản làng",
            "article",
            "Cẩm nang kỹ năng số bằng tiếng phổ thông và tiếng Thái.",
            files=(("so-tay.pdf", _pdf("1")),),
            author_id=people[0].id,
        ),
        works.ReceivedWork(
            "Chợ phiên Mộc Châu lên sàn",
            "video",
            "Phóng sự về bà con bán nông sản qua sàn thương mại điện tử.",
            files=(("chon-phien.pdf", _pdf("2")),),
            group_name="Nhóm Mộc Châu số",
            member_ids=(people[1].id, people[5].id),
        ),
        works.ReceivedWork(
            "Căn cước điện tử trong 5 bước",
            "infographic",
            "Hướng dẫn kích hoạt định danh điện tử mức 2.",
            files=(("vneid.pdf", _pdf("3")),),
            group_name="Tổ công nghệ số cộng đồng Thuận Châu",
            member_ids=(people[2].id, people[6].id),
        ),
        works.ReceivedWork(
            "Thanh toán không dùng tiền mặt ở chợ Trung tâm",
            "article",
            "Ghi chép về chợ 4.0.",
            files=(("cho.pdf", _pdf("4")),),
            author_id=people[3].id,
        ),
        works.ReceivedWork(
            "Ứng dụng hỏi đáp thủ tục hành chính",
            "idea",
            "Ý tưởng trợ lý ảo cho bộ phận một cửa.",
            files=(("y-tuong.pdf", _pdf("5")),),
            group_name="Nhóm Thành phố số",
            member_ids=(people[4].id, people[7].id),
        ),
        # A copy of the first work's file: the screening flags it as a duplicate.
        works.ReceivedWork(
            "Sổ tay kỹ năng số",
            "article",
            "Bản sao.",
            files=(("ban-sao.pdf", _pdf("1")),),
            author_id=people[7].id,
        ),
    ]
    items = works.register_received(db, organiser, contest, received)
    screening.decide_works(
        db, member, contest.id, [items[0].id], True, "Bản gốc, nộp trước bản trùng"
    )
    screening.decide_works(
        db, member, contest.id, [items[5].id], False, "Trùng tệp với tác phẩm khác"
    )
    eligible = [w.id for w in items[:5]]
    targets = dict(zip(eligible, (86, 72, 78, 58, 66), strict=True))
    for username, delta in (("chamthi1", 2), ("chamthi2", -2)):
        judge = _staff(db, username)
        jury.assign(db, organiser, contest, judge.id, eligible)
        jury.submit_scores(
            db, judge, contest, {wid: _sheet(t + delta) for wid, t in targets.items()}
        )
    prize_plans.save_plan(db, organiser, contest, PLAN)
    pl = jury.allocate(db, member, contest).prize_list
    prize_lists.propose(db, member, pl)
    prize_lists.approve(db, chair, pl)
