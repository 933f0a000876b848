"""Attempt page weight: a 20-question attempt page plus its CSS and JS, gzipped as served (bar ≤ 40 KB),
then the same paper with pictures on 5 questions: the page again, and what the pictures weigh
as a phone fetches them (bar: each ≤ 30 KB), with WebP against JPEG as the evidence for WebP."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from bench import Figure

BAR_KB = 40
PICTURE_BAR_KB = 30
ASSET_RE = re.compile(r'(?:href|src)="(/static/[^"]+)"')
WEBP_RE = re.compile(
    r'srcset="(/pictures/[0-9a-f]{64}\.webp)(?:, (/pictures/[0-9a-f]{64}\.2x\.webp) 2x)?"'
)
JPEG_RE = re.compile(r'src="(/pictures/[0-9a-f]{64}\.jpg)"')


def sample_pictures() -> list[tuple[str, bytes]]:
    """Five pictures like those of provincial banks, made here: a road sign, a phone screenshot
    of a public-service app, a bar chart, a map-like drawing and a photo (noisy, the worst case)."""
    import io

    from PIL import Image, ImageDraw, ImageFilter

    def png(image: Image.Image, fmt: str = "PNG") -> bytes:
        out = io.BytesIO()
        image.save(out, fmt, quality=92)
        return out.getvalue()

    sign = Image.new("RGB", (800, 800), "white")
    d = ImageDraw.Draw(sign)
    d.ellipse([100, 100, 700, 700], fill=(200, 20, 30))
    d.rectangle([200, 360, 600, 440], fill="white")

    screen = Image.new("RGB", (1080, 1920), (245, 245, 250))
    d = ImageDraw.Draw(screen)
    d.rectangle([0, 0, 1080, 180], fill=(200, 30, 40))
    for i in range(14):
        y = 240 + i * 120
        d.rounded_rectangle([40, y, 1040, y + 100], 16, fill="white", outline=(220, 220, 225))
        d.text((80, y + 35), f"Dịch vụ công trực tuyến số {i + 1} — nộp hồ sơ", fill=(30, 30, 30))

    chart = Image.new("RGB", (1200, 700), "white")
    d = ImageDraw.Draw(chart)
    for i, h in enumerate((220, 340, 410, 520, 600)):
        d.rectangle([120 + i * 200, 650 - h, 260 + i * 200, 650], fill=(30, 90, 160))
        d.text((150 + i * 200, 660), f"202{i}", fill="black")
    d.line([100, 650, 1150, 650], fill="black", width=3)

    region = Image.new("RGB", (1000, 800), (230, 240, 220))
    d = ImageDraw.Draw(region)
    for i in range(11):
        x, y = 80 + (i % 4) * 220, 80 + (i // 4) * 220
        d.polygon(
            [(x, y), (x + 200, y + 20), (x + 180, y + 200), (x + 10, y + 180)],
            outline=(90, 90, 90),
            fill=(180 + i * 5, 210, 170),
        )

    photo = Image.effect_noise((1600, 1200), 40).convert("RGB").filter(ImageFilter.GaussianBlur(1))
    photo = Image.blend(photo, Image.linear_gradient("L").resize((1600, 1200)).convert("RGB"), 0.5)
    return [
        ("biển báo (PNG 800×800)", png(sign)),
        ("ảnh chụp màn hình (PNG 1080×1920)", png(screen)),
        ("biểu đồ (PNG 1200×700)", png(chart)),
        ("bản đồ (PNG 1000×800)", png(region)),
        ("ảnh chụp (JPEG 1600×1200)", png(photo, "JPEG")),
    ]


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
    from sqlalchemy.orm import Session

    from bench.contest_day import open_round, start_attempt
    from contest import clock
    from contest import db as database
    from contest.migrate import upgrade
    from contest.web.app import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'weight.db'}"
        upgrade(url)
        engine = database.make_engine(url)
        database.use_engine(engine)
        now = clock.now()
        with Session(engine, expire_on_commit=False) as db:
            rnd = open_round(
                db,
                "can-nang",
                now,
                prediction_vi="Có bao nhiêu người trả lời đúng tất cả các câu hỏi?",
            )
            attempt_id, token = start_attempt(db, rnd, now, "020190012345", "0912345678")
            db.commit()
        try:
            with TestClient(create_app(), base_url="https://testserver") as client:
                client.cookies.set("contest_session", token)
                page_path = f"/attempts/{attempt_id}"
                parts = [("attempt page", *_raw_size(client, page_path))]
                html = client.get(page_path).text
                assert html.count('class="question"') == 20, "the page should show 20 questions"
                for asset in sorted(set(ASSET_RE.findall(html))):
                    parts.append((asset.split("?")[0], *_raw_size(client, asset)))
                pictured = _with_pictures(engine, attempt_id, client, page_path)
        finally:
            database.use_engine(None)
            engine.dispose()
    wire = sum(p[1] for p in parts)
    detail = "; ".join(
        f"{path.rsplit('/', 1)[-1] or path}: {w / 1024:.1f} KB{' gzip' if enc == 'gzip' else ''} "
        f"({d / 1024:.1f} KB raw)"
        for path, w, d, enc in parts
    )
    page_wire, pictures, encoded = pictured
    with_pictures = page_wire + sum(p[1] for p in parts[1:])
    largest = max(max(p[1], p[2]) for p in pictures)
    return [
        Figure(
            "attempt page with 20 questions + CSS + JS, gzipped",
            wire / 1024,
            "KB",
            f"≤ {BAR_KB} KB",
            wire <= BAR_KB * 1024,
            detail,
        ),
        Figure(
            "same page, 5 of the 20 questions with a picture: HTML + CSS + JS, gzipped",
            with_pictures / 1024,
            "KB",
            f"≤ {BAR_KB} KB",
            with_pictures <= BAR_KB * 1024,
            f"attempt page {page_wire / 1024:.1f} KB gzip (+{(page_wire - parts[0][1]) / 1024:.1f} KB for 5 <picture> elements)",
        ),
        Figure(
            "its 5 pictures as a phone fetches them (WebP, 480 px wide)",
            sum(p[1] for p in pictures) / 1024,
            "KB",
            f"each ≤ {PICTURE_BAR_KB} KB",
            largest <= PICTURE_BAR_KB * 1024,
            "; ".join(
                f"{name}: WebP {w / 1024:.1f} KB, 2x {(x2 / 1024):.1f} KB, JPEG {j / 1024:.1f} KB"
                if x2
                else f"{name}: WebP {w / 1024:.1f} KB, no 2x (source under 2x width or over budget), JPEG {j / 1024:.1f} KB"
                for name, w, j, x2 in pictures
            ),
        ),
        Figure(
            "WebP against JPEG at the same size and budget (sum of the 5)",
            100 * sum(p[1] for p in pictures) / max(1, sum(p[2] for p in pictures)),
            "% of JPEG",
            "",
            None,
            f"encoding the 5 pictures took {encoded:.2f} s",
        ),
    ]


def _with_pictures(engine, attempt_id: int, client, page_path: str):
    """Put a picture on 5 questions of the drawn paper and measure again.

    Versions never change in the product (an edit makes a new one, and a paper keeps the one it
    drew); the bench writes the picture into 5 versions already on this paper so the same paper
    is measured with and without pictures."""
    import time

    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from contest.domain.paper import PictureRef, write_pictures
    from contest.models import Attempt, QuestionVersion
    from contest.pictures import encode_picture
    from contest.services import pictures, taking

    samples = sample_pictures()
    start = time.perf_counter()
    encoded = [(name, encode_picture(data)) for name, data in samples]
    took = time.perf_counter() - start
    with Session(engine, expire_on_commit=False) as db:
        paper = db.get(Attempt, attempt_id).paper
        pictures.store_pictures(db, [e for _, e in encoded])
        for item, (name, e) in zip(paper[::4], encoded, strict=True):
            ref = PictureRef(e.sha256, e.width, e.height, name, e.webp_2x is not None)
            db.execute(
                update(QuestionVersion)
                .where(QuestionVersion.id == item["v"])
                .values(pictures=write_pictures([ref]))
            )
        db.commit()
    taking.clear_process_caches()
    page_wire = _raw_size(client, page_path)[0]
    html = client.get(page_path).text
    webps = WEBP_RE.findall(html)
    jpegs = JPEG_RE.findall(html)
    assert len(webps) == len(jpegs) == 5, "the page should show 5 pictures"
    out = []
    for (name, _), (webp, double), jpeg in zip(encoded, webps, jpegs, strict=True):
        out.append(
            (
                name,
                len(client.get(webp).content),
                len(client.get(jpeg).content),
                len(client.get(double).content) if double else 0,
            )
        )
    return page_wire, out, took


if __name__ == "__main__":  # pragma: no cover
    for figure in run():
        print(figure)
