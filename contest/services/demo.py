"""Load the demo contest from question_banks/ through the same services organisers use."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from contest import clock
from contest.domain.errors import ContestError
from contest.models import Round, RoundBank, StaffUser
from contest.services import accounts, banks, certificates, contests, units
from contest.services.context import SYSTEM
from contest.services.demo_results import load_demo_results
from contest.services.demo_works import load_demo_works

# Demo staff: printed by `make run`; never use these outside a demo.
DEMO_STAFF = (
    ("admin", "Quản trị hệ thống", "demo-quantri-2023", ["admin"]),
    ("bantochuc", "Nguyễn Văn Tổ Chức", "demo-organiser-2023", ["organiser"]),
    ("giamkhao", "Trần Thị Giám Khảo", "demo-committee-2023", ["committee_member"]),
    (
        "truongban",
        "Hoàng Văn Trưởng Ban",
        "demo-chair-2023",
        ["committee_chair", "committee_member"],
    ),
    ("chamthi1", "Lò Thị Chấm Thi", "demo-judge-2024", ["judge"]),
    ("chamthi2", "Cầm Văn Chấm Thi", "demo-judge-2024", ["judge"]),
)


@dataclass
class DemoResult:
    contest_slug: str
    created: bool
    staff: list[tuple[str, str, list[str]]] = field(default_factory=list)
    units: int = 0
    notes: list[str] = field(default_factory=list)


def read_spec(demo_dir: Path, now: datetime) -> contests.ContestSpec:
    """The demo keeps the 2023 rhythm but is moved so that its last round is open this week."""
    raw = tomllib.loads((demo_dir / "contest.toml").read_text(encoding="utf-8"))
    tz = ZoneInfo(raw.get("time_zone", "Asia/Ho_Chi_Minh"))
    rounds_raw = sorted(raw["rounds"], key=lambda r: r["number"])
    first_open = datetime.fromisoformat(rounds_raw[-1]["opens_local"]).replace(tzinfo=tz)
    local_now = now.astimezone(tz)
    this_monday = (local_now - timedelta(days=local_now.weekday())).replace(
        hour=first_open.hour, minute=first_open.minute, second=0, microsecond=0
    )
    if this_monday > local_now:
        this_monday -= timedelta(days=7)
    shift = this_monday - first_open
    rounds = []
    for r in rounds_raw:
        opens = datetime.fromisoformat(r["opens_local"]).replace(tzinfo=tz) + shift
        closes = datetime.fromisoformat(r["closes_local"]).replace(tzinfo=tz) + shift
        rounds.append(
            contests.RoundSpec(
                number=r["number"],
                title_vi=r["title_vi"],
                title_en=r["title_en"],
                opens_at=opens.astimezone(clock.now().tzinfo),
                closes_at=closes.astimezone(clock.now().tzinfo),
                questions_per_attempt=r.get("questions_per_attempt", 10),
                time_limit_seconds=int(r.get("time_limit_minutes", 15)) * 60,
                max_attempts=r.get("max_attempts", 1),
                counting=r.get("counting", "best"),
                prediction_vi=r.get("prediction_vi", ""),
                prediction_en=r.get("prediction_en", ""),
                prediction_target=r.get("prediction_target", "all_correct"),
            )
        )
    cutoff = raw.get("age_cutoff")
    return contests.ContestSpec(
        status="published",
        slug=raw["slug"],
        title_vi=raw["title_vi"],
        title_en=raw["title_en"],
        organiser_vi=raw.get("organiser_vi", ""),
        place_vi=raw.get("place_vi", ""),
        rules_vi=raw.get("rules_vi", ""),
        rules_en=raw.get("rules_en", ""),
        time_zone=raw.get("time_zone", "Asia/Ho_Chi_Minh"),
        min_age=raw.get("min_age", 0),
        age_cutoff=(date.fromisoformat(cutoff) + shift) if cutoff else None,
        rounds=tuple(rounds),
    )


def load_demo(db: Session, demo_dir: Path) -> DemoResult:
    """Idempotent: a second run finds everything in place and changes nothing."""
    raw = tomllib.loads((demo_dir / "contest.toml").read_text(encoding="utf-8"))
    result = DemoResult(contest_slug=raw["slug"], created=False)
    for username, full_name, password, roles in DEMO_STAFF:
        if not db.execute(select(StaffUser.id).where(StaffUser.username == username)).first():
            accounts.create_staff_user(
                db, SYSTEM, username=username, full_name=full_name, password=password, roles=roles
            )
        result.staff.append((username, password, roles))
    contest = contests.find_by_slug(db, raw["slug"])
    if contest is None:
        contest = contests.create_contest(db, SYSTEM, read_spec(demo_dir, clock.now()))
        result.created = True
    units_file = demo_dir / raw.get("units_file", "units.csv")
    if not units.unit_tree(db, contest.id):
        outcome = units.import_units(db, SYSTEM, contest, units_file.read_bytes(), units_file.name)
        if not outcome.ok:
            raise ContestError(
                "Dữ liệu đơn vị mẫu có lỗi: " + "; ".join(e.message_vi for e in outcome.errors),
                "The demo units file has errors: "
                + "; ".join(e.message_en for e in outcome.errors),
            )
    result.units = len(units.unit_tree(db, contest.id))
    _load_banks(db, contest.id, demo_dir, raw)
    load_demo_results(db, contest, demo_dir)
    certificates.issue_demo_certificates(db, contest.slug)
    load_demo_works(db)
    return result


def _load_banks(db: Session, contest_id: int, demo_dir: Path, raw: dict) -> None:
    """Each round's bank file goes through the organisers' import; a bank already there is left alone."""
    for spec in raw["rounds"]:
        code = spec.get("bank_code")
        if not code or not spec.get("bank_file"):
            continue
        bank = banks.find_bank(db, code)
        if bank is None:
            path = demo_dir / spec["bank_file"]
            report = banks.import_questions(
                db,
                SYSTEM,
                code,
                [(path.name, path.read_bytes())],
                bank_title=spec.get("bank_title_vi"),
            )
            if not report.ok:
                raise ContestError(
                    f"Ngân hàng câu hỏi mẫu {path.name} có lỗi: "
                    + "; ".join(e.message_vi for e in report.errors),
                    f"The demo bank {path.name} has errors: "
                    + "; ".join(e.message_en for e in report.errors),
                )
            bank = banks.get_bank(db, code)
        rnd = db.execute(
            select(Round).where(Round.contest_id == contest_id, Round.number == spec["number"])
        ).scalar_one()
        if db.get(RoundBank, (rnd.id, bank.id)) is None:
            db.add(RoundBank(round_id=rnd.id, bank_id=bank.id))
            db.commit()
