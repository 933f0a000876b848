"""Certificates: 10,000 PDFs on 2 processes (bar ≤ 15 s), and the size of one certificate.

The machine is measured in the same run (a fixed CPU probe, the same loop as the load
bench's, and the load average), so a slow figure on a busy machine can be told apart
from a slow renderer: the workers' own CPU time is reported beside the wall time.
"""

from __future__ import annotations

import os
import random
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench import Figure

COUNT = 10_000
PROCESSES = 2
BAR_SECONDS = 15
CPU_PROBE_ITERATIONS = 3_000_000  # as bench_load's probe
VERIFY = "https://chuyendoiso.langson.gov.vn/xac-minh"
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vi", "Lường", "Hà", "Đoàn", "Nông")
MIDDLE = ("Văn", "Thị", "Đức", "Thu", "Minh", "Quốc", "Thanh", "Hoà")
GIVEN = ("Bình", "Ước", "Thắng", "Hà", "Khánh", "Lan", "Dũng", "Yến", "Nguyệt", "Tuấn")
TIERS = ("Giải Nhất", "Giải Nhì", "Giải Ba", "Giải Khuyến khích", "Chứng nhận tham gia")


def items(count: int = COUNT):
    from contest.certificates import CertificateData, CertificateTemplate, format_code, new_code

    rng = random.Random(2023)
    template = CertificateTemplate(
        issuer_lines=("UBND TỈNH LẠNG SƠN", "BAN TỔ CHỨC CUỘC THI"),
        signer_title="KT. TRƯỞNG BAN\nPHÓ TRƯỞNG BAN",
        signer_name="Đoàn Thu Hà",
    )
    codes: set[str] = set()
    while len(codes) < count:
        codes.add(new_code(rng))
    out = []
    for number, code in enumerate(sorted(codes), start=1):
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        tier = rng.choice(TIERS)
        out.append(
            (
                CertificateData(
                    number=f"{number}/GCN-BTC",
                    place="Lạng Sơn",
                    issued_on=date(2023, 8, 5),
                    recipient_name=name,
                    recipient_unit="Huyện Tràng Định",
                    achievement=f"Đã đạt {tier} Cuộc thi trắc nghiệm tìm hiểu về chuyển đổi số tỉnh Lạng Sơn năm 2023 — Tuần 2",
                    verification_code=code,
                    verification_url=f"{VERIFY}/{format_code(code)}",
                    verify_hint_url=VERIFY,
                ),
                template,
            )
        )
    return out


def issue_seconds(count: int = COUNT) -> float:
    """Issuing (numbers, codes, frozen data, audit) for `count` awards in one SQLite transaction."""
    from sqlalchemy.orm import Session

    from contest import clock
    from contest.db import make_engine
    from contest.domain.awards import AwardRecord
    from contest.migrate import upgrade
    from contest.services import certificates, contests
    from contest.services.context import SYSTEM

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        with Session(engine, expire_on_commit=False) as db:
            now = clock.now()
            contest = contests.create_contest(
                db,
                SYSTEM,
                contests.ContestSpec(
                    status="published",
                    slug="bench",
                    title_vi="Cuộc thi tìm hiểu về chuyển đổi số",
                    title_en="Bench contest",
                    rounds=(
                        contests.RoundSpec(1, "Tuần 1", "Week 1", now, now + timedelta(days=7)),
                    ),
                ),
            )
            awards = [
                AwardRecord(
                    award_key=f"participation:{i}",
                    contest_id=contest.id,
                    round_id=None,
                    kind="participation",
                    recipient_kind="individual",
                    participant_id=None,
                    unit_id=None,
                    recipient_name="Nguyễn Văn An",
                    recipient_unit="Huyện Tràng Định",
                    tier_code="participation",
                    tier_label_vi="Chứng nhận tham gia",
                    achievement_vi="Đã tham gia Cuộc thi tìm hiểu về chuyển đổi số",
                )
                for i in range(count)
            ]
            start = time.perf_counter()
            certificates.issue_certificates(db, SYSTEM, awards)
            seconds = time.perf_counter() - start
        engine.dispose()
    return seconds


def cpu_probe() -> tuple[float, float]:
    """(wall ms, CPU ms) of a fixed pure-Python loop in this process."""
    w0, c0 = time.perf_counter(), time.process_time()
    total = 0
    for i in range(CPU_PROBE_ITERATIONS):
        total += i * i % 7
    return (time.perf_counter() - w0) * 1000, (time.process_time() - c0) * 1000


def run() -> list[Figure]:
    from contest.certificates import render_certificate, render_many
    from contest.certificates.fonts import register_fonts

    load_before = os.getloadavg()
    probe_wall, probe_cpu = cpu_probe()
    work = items()
    register_fonts()  # once in the parent: forked workers inherit the parsed fonts
    single = len(render_certificate(*work[0]))
    with tempfile.TemporaryDirectory() as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        paths = render_many(work, tmp, processes=PROCESSES)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # Worker CPU time: on a shared machine wall time also counts other processes' load.
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        assert len(paths) == COUNT
        total = sum(Path(p).stat().st_size for p in paths)
    load_after = os.getloadavg()
    issuing = issue_seconds()
    idle = cpu / PROCESSES
    return [
        Figure(
            "certificates: the machine in the same run (CPU probe)",
            probe_cpu,
            "ms",
            "",
            None,
            f"{CPU_PROBE_ITERATIONS:,} Python loop steps: {probe_wall:,.0f} ms wall, {probe_cpu:,.0f} ms CPU "
            f"(CPU share {probe_cpu / probe_wall:.0%}); load average (1 min) {load_before[0]:.1f} before, "
            f"{load_after[0]:.1f} after rendering, on {os.cpu_count()} cores",
        ),
        Figure(
            f"issue {COUNT:,} certificates into SQLite (one transaction)",
            issuing,
            "s",
            "",
            None,
            "numbers, codes, frozen data and one audit row; PDFs are drawn on demand",
        ),
        Figure(
            f"render {COUNT:,} certificates (render_many, {PROCESSES} processes), wall time",
            seconds,
            "s",
            f"≤ {BAR_SECONDS} s",
            seconds <= BAR_SECONDS,
            f"{COUNT / seconds:,.0f} a second; workers used {cpu:,.1f} CPU-s "
            f"({cpu / COUNT * 1000:.2f} ms a certificate, "
            f"{cpu / COUNT / (probe_cpu / 1000):.1%} of the CPU probe); "
            f"{total / COUNT / 1024:,.1f} KB each",
        ),
        Figure(
            f"render {COUNT:,} certificates: workers' CPU time ÷ {PROCESSES} (time on {PROCESSES} idle cores)",
            idle,
            "s",
            f"≤ {BAR_SECONDS} s",
            idle <= BAR_SECONDS,
            "what the wall time would be if the workers had their cores to themselves",
        ),
        Figure(
            "one certificate PDF (no background image)",
            single / 1024,
            "KB",
            "≤ 150 KB",
            single <= 150 * 1024,
            "fonts subset and embedded, QR as vector paths",
        ),
    ]


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
