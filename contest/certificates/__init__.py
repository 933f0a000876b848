"""Certificates: layout, PDF rendering and verification codes (no database, no web)."""

from contest.certificates.codes import format_code, is_valid, new_code, normalise
from contest.certificates.layout import CertificateData, CertificateTemplate, vietnamese_date
from contest.certificates.render import (
    render_certificate,
    render_many,
    render_pages,
    write_zip,
    zip_pdfs,
)

__all__ = [
    "CertificateData",
    "CertificateTemplate",
    "format_code",
    "is_valid",
    "new_code",
    "normalise",
    "render_certificate",
    "render_many",
    "render_pages",
    "vietnamese_date",
    "write_zip",
    "zip_pdfs",
]
