"""The annex of a prize decision (phụ lục kèm theo quyết định), as data both renderers share.

The shape follows the annexes committees sign: the issuer and the national motto, the
title lines, the decision's number and date (blank lines to fill by hand when not yet
known), then one section per round and per tier of individual prizes and a separate section
of collectives with their figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

DOTS = "…………"
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")

INDIVIDUAL_HEADERS = (
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Đơn vị",
    "Số câu đúng",
    "Thời gian (giây)",
    "Hạng",
    "Ghi chú",
)
COLLECTIVE_HEADERS = (
    "STT",
    "Đơn vị",
    "Số người dự thi hợp lệ",
    "Số cán bộ",
    "Tỷ lệ tham gia (%)",
    "Hạng",
    "Giải",
)
ROMAN = ("I", "II", "III", "IV", "V", "VI")


@dataclass(frozen=True)
class Table:
    """One tier of one section: a heading and its rows, cells already worded as printed."""

    heading: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    heading: str
    tables: tuple[Table, ...]
    note: str = ""


@dataclass(frozen=True)
class Annex:
    issuer: str
    place: str
    contest_title: str
    decision_number: str
    decision_date: date | None
    parts: tuple[tuple[str, tuple[Section, ...]], ...]
    draft: bool = False

    @property
    def title_lines(self) -> tuple[str, ...]:
        lines = (
            "PHỤ LỤC",
            "DANH SÁCH CÁ NHÂN, TẬP THỂ ĐẠT GIẢI",
            self.contest_title.upper() if self.contest_title else "",
            f"(Kèm theo Quyết định số {self.number_text} ngày {self.date_text} của Ban Tổ chức)",
        )
        return tuple(line for line in lines if line)

    @property
    def number_text(self) -> str:
        return self.decision_number.strip() or f"{DOTS}/QĐ-BTC"

    @property
    def date_text(self) -> str:
        d = self.decision_date
        if d is None:
            return f"{DOTS} tháng {DOTS} năm {DOTS}"
        return f"{d.day:02d} tháng {d.month:02d} năm {d.year}"

    @property
    def place_date_line(self) -> str:
        where = self.place.strip() or DOTS
        return f"{where}, ngày {self.date_text}"


def part_heading(index: int, words: str) -> str:
    return f"{ROMAN[index] if index < len(ROMAN) else index + 1}. {words}"


def tier_heading(letter_index: int, label: str, count: int) -> str:
    letter = "abcdefghijklmnopqrstuvwxyz"[letter_index % 26]
    return f"{letter}) {label}: {count} giải"


def vn_number(value: float | None, digits: int = 0) -> str:
    """A number as Vietnamese documents write it: "." for thousands, "," for decimals."""
    if value is None:
        return ""
    text = f"{value:,.{digits}f}"
    return text.replace(",", "\u0000").replace(".", ",").replace("\u0000", ".")
