"""Bulk issue: many certificates in one printable file, in files, or in a ZIP archive."""

import io
import os
import random
import resource
import time
import zipfile

import pytest
from pypdf import PdfReader

from contest.certificates.codes import format_code, new_code
from contest.certificates.layout import CertificateTemplate
from contest.certificates.render import render_certificate, render_many, render_pages, zip_pdfs

NAMES = ["Nguyễn Thị Hoà Bình", "Lường Văn Ước", "Hoàng Đức Thắng"]


@pytest.fixture
def items(make_data):
    def build(count: int, seed: int = 1):
        rng = random.Random(seed)
        template = CertificateTemplate()
        result = []
        for index in range(count):
            code = new_code(rng)
            data = make_data(
                number=f"{index + 1}/GCN-BTC",
                recipient_name=NAMES[index % len(NAMES)],
                verification_code=code,
                verification_url=f"https://chuyendoiso.langson.gov.vn/xac-minh/{format_code(code)}",
            )
            result.append((data, template))
        return result

    return build


def test_render_pages_puts_each_certificate_on_its_own_page(items):
    batch = items(3)
    reader = PdfReader(io.BytesIO(render_pages(batch)))
    assert len(reader.pages) == 3
    for page, (data, _) in zip(reader.pages, batch):
        text = page.extract_text()
        assert data.recipient_name in text
        assert format_code(data.verification_code) in text


def test_render_pages_embeds_fonts_once_so_a_batch_stays_small(items):
    batch = items(20)
    single = len(render_certificate(*batch[0]))
    assert len(render_pages(batch)) < 5 * single


def test_render_pages_refuses_an_empty_batch():
    with pytest.raises(ValueError):
        render_pages([])


@pytest.mark.parametrize("processes", [1, 2])
def test_render_many_writes_one_file_per_certificate_in_order(items, tmp_path, processes):
    batch = items(6)
    paths = render_many(batch, tmp_path, processes=processes)
    assert [path.name for path in paths] == [
        f"{format_code(d.verification_code)}.pdf" for d, _ in batch
    ]
    for path, (data, template) in zip(paths, batch):
        assert path.read_bytes() == render_certificate(data, template)


def test_render_many_refuses_two_certificates_with_one_code(items, tmp_path):
    batch = items(2)
    with pytest.raises(ValueError):
        render_many([batch[0], batch[0]], tmp_path)


def test_zip_holds_every_pdf_under_its_name_and_is_reproducible(items):
    pdfs = [
        (f"{format_code(d.verification_code)}.pdf", render_certificate(d, t)) for d, t in items(3)
    ]
    archive = zip_pdfs(pdfs)
    assert zip_pdfs(pdfs) == archive
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        assert opened.namelist() == [name for name, _ in pdfs]
        for name, pdf in pdfs:
            assert opened.read(name) == pdf


@pytest.mark.parametrize("name", ["../x.pdf", "/etc/x.pdf", "", "a\\b.pdf"])
def test_zip_refuses_unsafe_names(name):
    with pytest.raises(ValueError):
        zip_pdfs([(name, b"%PDF")])


def test_zip_refuses_duplicate_names():
    with pytest.raises(ValueError):
        zip_pdfs([("a.pdf", b"1"), ("a.pdf", b"2")])


def test_bulk_rendering_speed(items, tmp_path):
    # 200 by default to keep the suite fast; CONTEST_CERT_BENCH=1000 measures the brief's
    # figure. The bar is 10,000 in 60 s on 2 cores, i.e. 1,000 in 6 s.
    count = int(os.environ.get("CONTEST_CERT_BENCH", "200"))
    batch = items(count, seed=2)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    paths = render_many(batch, tmp_path, processes=2)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert len(paths) == count
    # The worker processes' CPU time, which other work on a shared machine does not inflate
    # (wall time is what make bench reports against the bar).
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(
        f"\nrender_many: {count} certificates on 2 processes in {elapsed:.2f} s ({cpu:.2f} s CPU in workers)"
    )
    assert cpu < count * 0.012 * 2 + 2
