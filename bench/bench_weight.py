"""Attempt page weight: a 20-question attempt page plus its CSS and JS, gzipped as served (bar ≤ 40 KB)."""

from __future__ import annotations

import re
import tempfile
from datetime import date, timedelta
from pathlib import Path

from bench import Figure

BAR_KB = 40
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _raw_size(client, path: str) -> tuple[int, int, str]:
    """(bytes on the wire, bytes decoded, content-encoding) of one GET with Accept-Encoding: gzip."""
    with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.status_code == 200, (path, r.status_code)
        wire = sum(len(chunk) for chunk in r.iter_raw())
        encoding = r.headers.get("content-encoding", "")
    decoded = len(client.get(path).content)
    return wire, decoded, encoding


def run() -> list[Figure]:
    from fastapi.testclient import TestClient
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from bench.bench_load import BANK_CSV
    from contest import clock
    from contest import db as database
    from contest.migrate import upgrade
    from contest.models import Participant, Round, RoundBank
    from contest.services import banks, contests, sessions, taking
    from contest.services.context import SYSTEM
    from contest.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'weight.db'}"
        upgrade(url)
        engine = database.make_engine(url)
        database.use_engine(engine)
        now = clock.now()
        with Session(engine, expire_on_commit=False) as db:
            contest = contests.create_contest(
                db,
                SYSTEM,
                contests.ContestSpec(
                    status="published",
                    slug="can-nang",
                    title_vi="Cuộc thi tìm hiểu về chuyển đổi số tỉnh Lạng Sơn",
                    title_en="Contest",
                    organiser_vi="BAN TỔ CHỨC",
                    place_vi="Lạng Sơn",
                    rules_vi="Thể lệ.",
                    rules_en="Rules.",
                    min_age=12,
                    age_cutoff=date(2023, 7, 3),
                    rounds=(
                        contests.RoundSpec(
                            1,
                            "Tuần 4",
                            "Week 4",
                            now - timedelta(hours=1),
                            now + timedelta(days=1),
                            questions_per_attempt=20,
                            time_limit_seconds=30 * 60,
                            prediction_vi="Có bao nhiêu người trả lời đúng tất cả các câu hỏi?",
                        ),
                    ),
                ),
            )
            banks.import_questions(db, SYSTEM, "tuan-4", [(BANK_CSV.name, BANK_CSV.read_bytes())])
            rnd = db.execute(select(Round).where(Round.contest_id == contest.id)).scalar_one()
            db.add(RoundBank(round_id=rnd.id, bank_id=banks.get_bank(db, "tuan-4").id))
            db.commit()
            participant = Participant(
                contest_id=contest.id,
                full_name="Nguyễn Thị Hoà Bình",
                date_of_birth=date(1990, 8, 15),
                gender="female",
                citizen_id="020190012345",
                phone="0912345678",
                password_hash="-",
                consent_version="2023-07",
                consent_at=now,
                registered_at=now,
            )
            db.add(participant)
            db.flush()
            attempt = taking.start_attempt(db, participant, rnd)
            token = sessions.open_session(db, participant_id=participant.id)
            db.commit()
        try:
            with TestClient(create_app(), base_url="https://testserver") as client:
                client.cookies.set("contest_session", token)
                page_path = f"/attempts/{attempt.id}"
                parts = [("attempt page", *_raw_size(client, page_path))]
                html = client.get(page_path).text
                assert html.count('class="question"') == 20, "the page should show 20 questions"
                for asset in sorted(set(ASSET_RE.findall(html))):
                    parts.append((asset.split("?")[0], *_raw_size(client, asset)))
        finally:
            database.use_engine(None)
            engine.dispose()
    wire = sum(p[1] for p in parts)
    detail = "; ".join(
        f"{path.rsplit('/', 1)[-1] or path}: {w / 1024:.1f} KB{' gzip' if enc == 'gzip' else ''} "
        f"({d / 1024:.1f} KB raw)"
        for path, w, d, enc in parts
    )
    return [
        Figure(
            "attempt page with 20 questions + CSS + JS, gzipped",
            wire / 1024,
            "KB",
            f"≤ {BAR_KB} KB",
            wire <= BAR_KB * 1024,
            detail,
        )
    ]


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
