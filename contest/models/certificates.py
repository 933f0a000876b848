"""Certificates: per-contest templates, issued certificates and their numbering."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from contest.models.base import Base, UTCDateTime


class CertificateImage(Base):
    """An uploaded seal, signature or background, kept once by content hash.

    Templates and certificates point at the hash, so replacing a template's seal later does
    not change certificates already issued: their PDFs still regenerate byte for byte.
    """

    __tablename__ = "certificate_images"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))  # image/png | image/jpeg
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CertificateTemplateRow(Base):
    """A contest's certificate template: what the organisers chose to print and how."""

    __tablename__ = "certificate_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), unique=True
    )
    title: Mapped[str] = mapped_column(String(120), default="GIẤY CHỨNG NHẬN")
    issuer_lines: Mapped[str] = mapped_column(
        Text, default="BAN TỔ CHỨC CUỘC THI"
    )  # one line per line
    place: Mapped[str] = mapped_column(String(100), default="")
    lead_in: Mapped[str] = mapped_column(String(60), default="Chứng nhận")
    signer_title: Mapped[str] = mapped_column(String(200), default="TRƯỞNG BAN TỔ CHỨC")
    signer_name: Mapped[str] = mapped_column(String(120), default="")
    number_suffix: Mapped[str] = mapped_column(String(40), default="GCN-BTC")  # "12/GCN-BTC"
    show_number: Mapped[bool] = mapped_column(Boolean, default=True)
    show_unit: Mapped[bool] = mapped_column(Boolean, default=True)
    show_qr: Mapped[bool] = mapped_column(Boolean, default=True)
    show_border: Mapped[bool] = mapped_column(Boolean, default=True)
    font_family: Mapped[str] = mapped_column(String(16), default="serif")
    accent_colour: Mapped[str] = mapped_column(String(7), default="#B01E23")
    seal_sha256: Mapped[str | None] = mapped_column(
        ForeignKey("certificate_images.sha256"), nullable=True
    )
    background_sha256: Mapped[str | None] = mapped_column(
        ForeignKey("certificate_images.sha256"), nullable=True
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CertificateCounter(Base):
    """The last certificate number used in a contest; locked while numbers are allocated."""

    __tablename__ = "certificate_counters"

    contest_id: Mapped[int] = mapped_column(
        ForeignKey("contests.id", ondelete="CASCADE"), primary_key=True
    )
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Certificate(Base):
    """One issued certificate with everything printed on it, frozen when it was issued."""

    __tablename__ = "certificates"
    __table_args__ = (
        # One live certificate per award: a reissue marks the old one replaced first.
        Index(
            "uq_certificates_live_award_key",
            "contest_id",
            "award_key",
            unique=True,
            sqlite_where=text("replaced_at IS NULL"),
            postgresql_where=text("replaced_at IS NULL"),
        ),
        Index("ix_certificates_contest_serial", "contest_id", "serial", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    contest_id: Mapped[int] = mapped_column(ForeignKey("contests.id", ondelete="CASCADE"))
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), nullable=True)
    award_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # prize | participation
    recipient_kind: Mapped[str] = mapped_column(String(16))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id"), nullable=True, index=True
    )
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), nullable=True)
    tier_code: Mapped[str] = mapped_column(String(32))
    tier_label_vi: Mapped[str] = mapped_column(String(120))
    prize_list_version: Mapped[int | None] = mapped_column(Integer, nullable=True)

    code: Mapped[str] = mapped_column(String(10), unique=True)  # canonical, no separators
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(60))  # "12/GCN-BTC"
    # Printed text, frozen: a later template or unit rename never changes an issued PDF.
    place: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    recipient_name: Mapped[str] = mapped_column(String(300))
    recipient_unit: Mapped[str] = mapped_column(String(300), default="")
    achievement: Mapped[str] = mapped_column(Text)
    verification_url: Mapped[str] = mapped_column(String(300))
    verify_hint_url: Mapped[str] = mapped_column(String(300))
    title: Mapped[str] = mapped_column(String(120))
    issuer_lines: Mapped[list] = mapped_column(JSON)
    signer_title: Mapped[str] = mapped_column(String(200))
    signer_name: Mapped[str] = mapped_column(String(120))
    # The CertificateTemplate fields (layout choices) as they were at issue time.
    layout: Mapped[dict] = mapped_column(JSON)
    seal_sha256: Mapped[str | None] = mapped_column(
        ForeignKey("certificate_images.sha256"), nullable=True
    )
    background_sha256: Mapped[str | None] = mapped_column(
        ForeignKey("certificate_images.sha256"), nullable=True
    )

    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), nullable=True)
    replaced_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    @property
    def status(self) -> str:
        if self.replaced_at is not None:
            return "replaced"
        if self.revoked_at is not None:
            return "revoked"
        return "valid"
