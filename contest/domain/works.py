"""Works contests: file sniffing, screening flags, rubrics and the jury's entry score."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from contest.domain.eligibility import Flag, FlagCode
from contest.domain.errors import ContestError

CATEGORIES = ("article", "video", "infographic", "idea", "other")
CATEGORY_LABELS = {
    "article": ("Bài viết", "Article"),
    "video": ("Video", "Video"),
    "infographic": ("Infographic", "Infographic"),
    "idea": ("Ý tưởng, sáng kiến", "Idea"),
    "other": ("Khác", "Other"),
}

# Sniffed type -> (content type served back, extension used for downloads).
FILE_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "png": ("image/png", "png"),
    "jpeg": ("image/jpeg", "jpg"),
    "mp4": ("video/mp4", "mp4"),
}


def sniff_head(head: bytes) -> str | None:
    """The type a file's first bytes announce; a DOCX reads as "zip" until its entries are checked.

    The name a browser sends is never consulted: a renamed executable starts with ``MZ``
    or ``\\x7fELF`` and matches nothing here."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    return None


def is_docx(stream: io.BufferedIOBase | str) -> bool:
    """A zip is accepted as DOCX only if it opens and holds ``word/document.xml``."""
    try:
        with zipfile.ZipFile(stream) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


# --- screening -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkFacts:
    work_id: str
    title: str
    category: str
    description: str
    declaration: bool
    file_hashes: tuple[str, ...]
    links: tuple[str, ...] = ()
    unreadable_files: tuple[str, ...] = ()
    author_ids: tuple[str, ...] = ()
    author_citizen_ids: tuple[str, ...] = ()
    submitted: bool = True


@dataclass(frozen=True)
class WorkRules:
    excluded_participant_ids: frozenset[str] = frozenset()
    excluded_citizen_ids: frozenset[str] = frozenset()
    require_file_or_link: bool = True


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def screen_work(work: WorkFacts, rules: WorkRules) -> tuple[Flag, ...]:
    """Flags on one submitted work; "within the theme" is the committee's own judgement and
    arrives as a decision, not as a flag."""
    wid = work.work_id
    flags: list[Flag] = []
    missing_vi, missing_en = [], []
    for name, vi, en in (
        ("title", "tên tác phẩm", "title"),
        ("description", "mô tả", "description"),
    ):
        if _blank(getattr(work, name)):
            missing_vi.append(vi)
            missing_en.append(en)
    if work.category not in CATEGORIES:
        missing_vi.append("thể loại")
        missing_en.append("category")
    if missing_vi:
        flags.append(
            Flag(
                wid,
                FlagCode.WORK_INCOMPLETE,
                f"Thiếu thông tin: {', '.join(missing_vi)}.",
                f"Missing: {', '.join(missing_en)}.",
            )
        )
    if rules.require_file_or_link and not work.file_hashes and not work.links:
        flags.append(
            Flag(
                wid,
                FlagCode.WORK_FILES,
                "Tác phẩm không có tệp hoặc đường dẫn nào.",
                "The work has no file or link.",
            )
        )
    if work.unreadable_files:
        names = ", ".join(work.unreadable_files)
        flags.append(
            Flag(
                wid,
                FlagCode.WORK_FILES,
                f"Không đọc được tệp: {names}.",
                f"Files cannot be read: {names}.",
            )
        )
    if not work.declaration:
        flags.append(
            Flag(
                wid,
                FlagCode.NO_DECLARATION,
                "Chưa cam kết tác phẩm là của mình và chưa công bố.",
                "No declaration that the work is original and unpublished.",
            )
        )
    if any(a in rules.excluded_participant_ids for a in work.author_ids) or any(
        c in rules.excluded_citizen_ids for c in work.author_citizen_ids
    ):
        flags.append(
            Flag(
                wid,
                FlagCode.EXCLUDED_STAFF,
                "Tác giả là thành viên Ban Tổ chức, Ban Giám khảo hoặc Tổ Thư ký.",
                "An author is a member of the organising committee, jury or secretariat.",
            )
        )
    return tuple(flags)


def duplicate_file_flags(works: Iterable[WorkFacts]) -> dict[str, Flag]:
    """Works sharing an identical file (same SHA-256) are all flagged: which one is the
    original is for the committee to find out, not for storage order to decide."""
    by_hash: dict[str, set[str]] = {}
    for w in works:
        for h in set(w.file_hashes):
            by_hash.setdefault(h, set()).add(w.work_id)
    flags: dict[str, Flag] = {}
    for ids in by_hash.values():
        if len(ids) < 2:
            continue
        for wid in ids:
            if wid in flags:
                continue
            others = ", ".join(sorted((i for i in ids if i != wid), key=lambda s: (len(s), s)))
            flags[wid] = Flag(
                wid,
                FlagCode.DUPLICATE_WORK,
                f"Trùng tệp với tác phẩm khác ({others}).",
                f"Shares an identical file with another entry ({others}).",
            )
    return flags


# --- rubric and scores ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Criterion:
    code: str
    label_vi: str
    label_en: str
    max_points: float
    weight: float = 1.0


@dataclass(frozen=True)
class Rubric:
    """Criteria each scored from 0 to ``max_points``; the total is on 100 after weighting."""

    criteria: tuple[Criterion, ...] = field(default=())

    def __post_init__(self) -> None:
        codes = [c.code for c in self.criteria]
        if not codes:
            raise ContestError(
                "Thang điểm cần ít nhất một tiêu chí.",
                "A rubric needs at least one criterion.",
                field="rubric",
            )
        if len(set(codes)) != len(codes):
            raise ContestError("Mã tiêu chí bị trùng.", "Criterion codes repeat.", field="rubric")
        for c in self.criteria:
            if c.max_points <= 0 or c.weight <= 0:
                raise ContestError(
                    f"Tiêu chí {c.label_vi}: điểm tối đa và trọng số phải dương.",
                    f"Criterion {c.label_en}: maximum and weight must be positive.",
                    field="rubric",
                )

    @classmethod
    def from_spec(cls, spec: Sequence[Mapping]) -> Rubric:
        try:
            return cls(
                tuple(
                    Criterion(
                        str(c["code"]),
                        str(c["label_vi"]),
                        str(c.get("label_en") or c["label_vi"]),
                        float(c["max_points"]),
                        float(c.get("weight", 1)),
                    )
                    for c in spec
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ContestError(
                f"Thang điểm không hợp lệ: {exc}.",
                f"The rubric is not valid: {exc}.",
                field="rubric",
            ) from None

    def total(self, values: Mapping[str, float]) -> float:
        """Check every criterion has a value within its scale and return the weighted total on 100."""
        problems_vi, problems_en = [], []
        for c in self.criteria:
            v = values.get(c.code)
            if v is None or not 0 <= float(v) <= c.max_points:
                problems_vi.append(f"{c.label_vi} (0–{c.max_points:g})")
                problems_en.append(f"{c.label_en} (0–{c.max_points:g})")
        if problems_vi:
            raise ContestError(
                "Điểm chưa hợp lệ: " + ", ".join(problems_vi) + ".",
                "Scores missing or out of range: " + ", ".join(problems_en) + ".",
                field="values",
            )
        weights = sum(c.weight for c in self.criteria)
        raw = sum(c.weight * float(values[c.code]) / c.max_points for c in self.criteria)
        return round(100 * raw / weights, 2)


def entry_score(totals: Sequence[float], trim: int = 0) -> float | None:
    """The mean of the judges' totals, or with ``trim`` = k the mean after dropping the k
    highest and k lowest (only when more than 2k totals remain to average)."""
    if not totals:
        return None
    ordered = sorted(totals)
    if trim > 0 and len(ordered) > 2 * trim:
        ordered = ordered[trim:-trim]
    return round(sum(ordered) / len(ordered), 2)


def spread(totals: Sequence[float]) -> float:
    return round(max(totals) - min(totals), 2) if len(totals) > 1 else 0.0


def conflicting_units(judge_units: Iterable[int], author_units: Iterable[int | None]) -> set[int]:
    """The units a judge declared that also hold an author of the work."""
    return set(judge_units) & {u for u in author_units if u is not None}
