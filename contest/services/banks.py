"""Question banks: preview and all-or-nothing import of files, edits as new versions, listing, export."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from contest import clock
from contest.db import transactional
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.domain.paper import read_options, read_pictures, write_option, write_pictures
from contest.drafts import PictureDraft
from contest.exporters import export_gift, export_moodle_xml, export_xlsx
from contest.importers import (
    Duplicate,
    ImportIssue,
    ImportLimits,
    Location,
    NearDuplicate,
    OptionDraft,
    ParseResult,
    QuestionDraft,
    check_formulas,
    fingerprint,
    near_duplicates,
    parse_file,
)
from contest.importers.base import DIFFICULTIES, TEXT_HTML, check_question, letter
from contest.importers.pictures import picture_names
from contest.models import Question, QuestionBank, QuestionVersion, Round, RoundBank
from contest.pictures import PictureRefused, clean_alt, encode_picture
from contest.services import audit, pictures
from contest.services.context import Actor
from contest.text import normalize_text, optional_text, sanitize_html

_BANK_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]{0,79}")
EXPORT_FORMATS = ("xlsx", "gift", "moodle-xml")


def check_bank_code(code: str) -> str:
    code = (code or "").strip()
    if not _BANK_CODE.fullmatch(code):
        raise ContestError(
            "Mã ngân hàng câu hỏi gồm 1–80 ký tự: chữ cái không dấu, số, dấu chấm, gạch dưới, gạch ngang.",
            "A bank code is 1–80 characters: letters without diacritics, digits, dot, underscore, hyphen.",
            field="bank",
        )
    return code


def find_bank(db: Session, code: str) -> QuestionBank | None:
    return db.execute(select(QuestionBank).where(QuestionBank.code == code)).scalar_one_or_none()


def get_bank(db: Session, code: str) -> QuestionBank:
    bank = find_bank(db, code)
    if bank is None:
        raise NotFound(
            f"Không có ngân hàng câu hỏi '{code}'.", f"There is no question bank '{code}'."
        )
    return bank


def _where(location: Location) -> str:
    parts = [location.file]
    if location.sheet:
        parts.append(location.sheet)
    if location.row is not None:
        parts.append(str(location.row))
    elif location.line is not None:
        parts.append(str(location.line))
    return ":".join(parts)


@dataclass(frozen=True)
class PreviewItem:
    """One question read from the files, with what the import will do with it."""

    draft: QuestionDraft
    fingerprint: str
    duplicate: ImportIssue | None = None  # why it will not be imported
    in_bank: bool = False

    @property
    def will_import(self) -> bool:
        return self.duplicate is None


@dataclass(frozen=True)
class FileSummary:
    filename: str
    questions: int
    errors: int
    skipped: int
    warnings: int = 0


@dataclass
class ImportPreview:
    bank_code: str
    bank_exists: bool
    files: list[FileSummary] = field(default_factory=list)
    items: list[PreviewItem] = field(default_factory=list)
    errors: list[ImportIssue] = field(default_factory=list)
    skipped: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    near: list[NearDuplicate] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def duplicates(self) -> list[PreviewItem]:
        return [item for item in self.items if item.duplicate is not None]

    @property
    def new_items(self) -> list[PreviewItem]:
        return [item for item in self.items if item.duplicate is None]

    def near_dicts(self) -> list[dict]:
        out = []
        for n in self.near:
            draft = self.items[n.index].draft
            entry = {
                "file": draft.location.file,
                "sheet": draft.location.sheet,
                "row": draft.location.row,
                "line": draft.location.line,
                "stem": draft.stem,
                "other_stem": n.other_stem,
                "ratio": n.ratio,
            }
            if n.other_index is not None:
                other = self.items[n.other_index].draft.location
                entry["other"] = {
                    "file": other.file,
                    "sheet": other.sheet,
                    "row": other.row,
                    "line": other.line,
                }
            else:
                entry["other"] = {"bank_question_id": n.bank_key}
            out.append(entry)
        return out


def _bank_questions(db: Session, bank_id: int) -> list[tuple[int, str, str]]:
    """(question id, fingerprint, current stem) of the bank's live questions."""
    rows = db.execute(
        select(Question.id, Question.fingerprint, QuestionVersion.stem)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank_id, Question.retired_at.is_(None))
    ).all()
    return [(r[0], r[1], r[2]) for r in rows]


def preview_import(
    db: Session,
    files: Sequence[tuple[str, bytes]],
    bank_code: str,
    limits: ImportLimits = ImportLimits(),
) -> ImportPreview:
    """Read every file and say what an import would do; writes nothing."""
    bank_code = check_bank_code(bank_code)
    bank = find_bank(db, bank_code)
    preview = ImportPreview(bank_code=bank_code, bank_exists=bank is not None)
    drafts: list[QuestionDraft] = []
    for filename, data in files:
        parsed = parse_file(data, filename, limits)
        drafts.extend(parsed.questions)
        preview.errors.extend(parsed.errors)
        preview.skipped.extend(parsed.skipped)
        preview.warnings.extend(parsed.warnings)
        preview.files.append(
            FileSummary(
                filename,
                len(parsed.questions),
                len(parsed.errors),
                len(parsed.skipped),
                len(parsed.warnings),
            )
        )
    if not files:
        preview.errors.append(
            ImportIssue(Location(""), "file", "Chưa chọn tệp nào.", "No file was chosen.")
        )
    existing = _bank_questions(db, bank.id) if bank else []
    in_bank = {fp for _, fp, _ in existing}
    # One fingerprint per draft (the same rule as find_duplicates): it is the costly part of a large import.
    first_seen: dict[str, int] = {}
    repeated: set[int] = set()
    for index, draft in enumerate(drafts):
        fp = fingerprint(draft)
        first = first_seen.setdefault(fp, index)
        if fp in in_bank:
            issue = Duplicate(index, draft, fp, None, True).as_issue()
        elif first != index:
            # Files are read as one batch, so say which file and row the first copy is in.
            where = _where(drafts[first].location)
            issue = ImportIssue(
                draft.location,
                "stem",
                f"{_where(draft.location)}: câu hỏi trùng với câu hỏi ở {where}",
                f"{_where(draft.location)}: the question repeats the one at {where}",
            )
        else:
            preview.items.append(PreviewItem(draft, fp))
            continue
        repeated.add(index)
        preview.items.append(PreviewItem(draft, fp, issue, fp in in_bank))
    preview.near = [
        n
        for n in near_duplicates(drafts, {qid: stem for qid, _, stem in existing})
        if n.index not in repeated and (n.other_index is None or n.other_index not in repeated)
    ]
    return preview


@dataclass
class ImportReport:
    ok: bool
    dry_run: bool
    bank: str
    imported: int = 0
    skipped: int = 0
    duplicates: int = 0
    errors: list[ImportIssue] = field(default_factory=list)
    skipped_items: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    duplicate_items: list[ImportIssue] = field(default_factory=list)
    near_duplicates: list[dict] = field(default_factory=list)
    bank_created: bool = False
    pictures: int = 0  # pictures stored that the file store did not have yet

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "bank": self.bank,
            "imported": self.imported,
            "skipped": self.skipped,
            "duplicates": self.duplicates,
            "errors": [e.as_dict() for e in self.errors],
            "skipped_items": [e.as_dict() for e in self.skipped_items],
            "warnings": [e.as_dict() for e in self.warnings],
            "duplicate_items": [e.as_dict() for e in self.duplicate_items],
            "near_duplicates": self.near_duplicates,
            "pictures": self.pictures,
        }


def _options_json(options: Sequence[OptionDraft]) -> list[dict]:
    # Ids are stable within a version; papers store the ids in the order they were shown.
    return [
        write_option(i, o.text, o.correct, [pictures.ref_of(p) for p in o.pictures])
        for i, o in enumerate(options, start=1)
    ]


def _stem_pictures_json(draft: QuestionDraft) -> list[dict] | None:
    return write_pictures(pictures.ref_of(p) for p in draft.pictures) or None


def import_questions(
    db: Session,
    actor: Actor,
    bank_code: str,
    files: Sequence[tuple[str, bytes]],
    *,
    bank_title: str | None = None,
    dry_run: bool = False,
    limits: ImportLimits = ImportLimits(),
) -> ImportReport:
    """Import every question of every file, or nothing when any file has any error.

    Questions already in the bank (same fingerprint) and repeats within the files are
    skipped and counted as duplicates. Creates the bank when it does not exist.
    """
    preview = preview_import(db, files, bank_code, limits)
    report = ImportReport(
        ok=preview.ok,
        dry_run=dry_run,
        bank=preview.bank_code,
        skipped=len(preview.skipped),
        duplicates=len(preview.duplicates),
        errors=preview.errors,
        skipped_items=preview.skipped,
        warnings=preview.warnings,
        duplicate_items=[item.duplicate for item in preview.duplicates if item.duplicate],
        near_duplicates=preview.near_dicts(),
    )
    if not preview.ok:
        return report
    new = preview.new_items
    report.imported = len(new)
    report.bank_created = not preview.bank_exists
    if dry_run:
        return report

    now = clock.now()
    bank = find_bank(db, preview.bank_code)
    if bank is None:
        title = normalize_text(bank_title) or preview.bank_code
        bank = QuestionBank(code=preview.bank_code, title=title[:300], revision=0, created_at=now)
        db.add(bank)
        db.flush()
    if new:
        report.pictures = pictures.store_pictures(
            db, (p.picture for item in new for p in item.draft.all_pictures)
        )
        _insert_questions(db, bank.id, [item for item in new], now)
    bank.revision += 1
    audit.record(
        db,
        actor,
        "bank.import",
        "question_bank",
        bank.id,
        {
            "bank": bank.code,
            "files": [f.filename for f in preview.files],
            "imported": report.imported,
            "skipped": report.skipped,
            "duplicates": report.duplicates,
            "warnings": len(report.warnings),
            "created": report.bank_created,
            "pictures": report.pictures,
        },
    )
    db.commit()
    return report


def _insert_questions(db: Session, bank_id: int, items: list[PreviewItem], now) -> None:
    """Core bulk inserts (executemany with RETURNING), not one ORM flush per row."""
    start = db.execute(
        select(func.coalesce(func.max(Question.position), 0)).where(Question.bank_id == bank_id)
    ).scalar_one()
    # No RETURNING: SQLite's sorted executemany RETURNING is slow; positions map rows back to ids.
    db.execute(
        insert(Question),
        [
            {
                "bank_id": bank_id,
                "current_version_id": None,
                "fingerprint": item.fingerprint,
                "topic": item.draft.topic,
                "difficulty": item.draft.difficulty,
                "position": start + n,
            }
            for n, item in enumerate(items, start=1)
        ],
    )
    by_position = dict(
        db.execute(
            select(Question.position, Question.id).where(
                Question.bank_id == bank_id, Question.position > start
            )
        ).all()
    )
    db.execute(
        insert(QuestionVersion),
        [
            {
                "question_id": by_position[start + n],
                "version": 1,
                "stem": d.stem,
                "text_format": d.text_format,
                "options": _options_json(d.options),
                "topic": d.topic,
                "difficulty": d.difficulty,
                "explanation": d.explanation,
                "source": d.source,
                "number": d.number[:40] if d.number else None,
                "pictures": _stem_pictures_json(d),
                "created_at": now,
            }
            for n, d in enumerate((item.draft for item in items), start=1)
        ],
    )
    version_of = (
        select(QuestionVersion.id)
        .where(QuestionVersion.question_id == Question.id, QuestionVersion.version == 1)
        .scalar_subquery()
    )
    db.execute(
        update(Question)
        .where(Question.bank_id == bank_id, Question.current_version_id.is_(None))
        .values(current_version_id=version_of)
        .execution_options(synchronize_session=False)
    )


def _clean(text: str | None, text_format: str) -> str:
    return sanitize_html(text or "") if text_format == TEXT_HTML else normalize_text(text)


@transactional
def edit_question(
    db: Session,
    actor: Actor,
    question_id: int,
    *,
    stem: str,
    options: Sequence[tuple[str, bool]],
    topic: str | None = None,
    difficulty: str | None = None,
    explanation: str | None = None,
) -> QuestionVersion:
    """Store the edit as a new version; earlier versions (and the papers that point at them) stay as they were."""
    question = db.get(Question, question_id)
    if question is None:
        raise NotFound(
            f"Không có câu hỏi số {question_id}.", f"There is no question {question_id}."
        )
    current = db.get(QuestionVersion, question.current_version_id)
    text_format = current.text_format if current else "plain"
    stem = _clean(stem, text_format)
    # An option keeps its pictures by its place on the form; one with neither text nor picture goes.
    old = read_options(current.options) if current else ()
    stem_pictures = tuple(
        pictures.stored_draft(r) for r in read_pictures(current.pictures if current else None)
    )
    rows = [
        (
            _clean(text, text_format),
            bool(correct),
            tuple(pictures.stored_draft(r) for r in old[i].pictures) if i < len(old) else (),
        )
        for i, (text, correct) in enumerate(options)
    ]
    rows = [row for row in rows if row[0] or row[2]]
    cleaned = [(text, correct) for text, correct, _ in rows]
    topic = optional_text(topic)
    difficulty = optional_text(difficulty)
    problems = [
        ContestError(i.message_vi, i.message_en, field=i.field)
        for i in check_question(
            stem,
            cleaned,
            Location("form"),
            stem_pictured=bool(stem_pictures),
            option_pictures=[picture_names(pics) for _, _, pics in rows],
        )
    ]
    if difficulty is not None and difficulty not in DIFFICULTIES:
        problems.append(
            ContestError(
                f"Mức độ '{difficulty}' không hợp lệ (easy, medium, hard).",
                f"The difficulty '{difficulty}' is not valid (easy, medium, hard).",
                field="difficulty",
            )
        )
    if not problems:
        formula_check = check_formulas(
            ParseResult(
                questions=[
                    QuestionDraft(
                        stem,
                        tuple(OptionDraft(t, c) for t, c in cleaned),
                        Location("form"),
                        text_format,
                        explanation=_clean(explanation, text_format) or None,
                    )
                ]
            )
        )
        problems = [
            ContestError(i.message_vi, i.message_en, field=i.field) for i in formula_check.errors
        ]
    if problems:
        raise InvalidInput(problems)
    draft = QuestionDraft(
        stem=stem,
        options=tuple(OptionDraft(t, c, pics) for t, c, pics in rows),
        pictures=stem_pictures,
        location=Location("form"),
        text_format=text_format,
        topic=topic,
        difficulty=difficulty,
        explanation=_clean(explanation, text_format) or None,
        source=current.source if current else None,
        number=current.number if current else None,
    )
    if current and (
        current.stem,
        current.options,
        current.topic,
        current.difficulty,
        current.explanation,
    ) == (
        draft.stem,
        _options_json(draft.options),
        draft.topic,
        draft.difficulty,
        draft.explanation,
    ):
        return current
    return _add_version(db, actor, question, draft, "bank.question_edit", {})


def _add_version(
    db: Session, actor: Actor, question: Question, draft: QuestionDraft, action: str, detail: dict
) -> QuestionVersion:
    """The question's next version from ``draft``; earlier versions stay as papers saw them."""
    last = db.execute(
        select(func.max(QuestionVersion.version)).where(QuestionVersion.question_id == question.id)
    ).scalar_one()
    version = QuestionVersion(
        question_id=question.id,
        version=(last or 0) + 1,
        stem=draft.stem,
        text_format=draft.text_format,
        options=_options_json(draft.options),
        pictures=_stem_pictures_json(draft),
        topic=draft.topic,
        difficulty=draft.difficulty,
        explanation=draft.explanation,
        source=draft.source,
        number=draft.number,
        created_at=clock.now(),
    )
    db.add(version)
    db.flush()
    question.current_version_id = version.id
    question.fingerprint = fingerprint(draft)
    question.topic = draft.topic
    question.difficulty = draft.difficulty
    bank = db.get_one(QuestionBank, question.bank_id)
    bank.revision += 1
    audit.record(
        db,
        actor,
        action,
        "question",
        question.id,
        {"bank": bank.code, "version": version.version, **detail},
    )
    return version


def _draft_of(version: QuestionVersion, location: Location) -> QuestionDraft:
    return QuestionDraft(
        stem=version.stem,
        options=tuple(
            OptionDraft(
                o.text,
                o.correct,
                tuple(pictures.stored_draft(r) for r in o.pictures),
            )
            for o in read_options(version.options)
        ),
        pictures=tuple(pictures.stored_draft(r) for r in read_pictures(version.pictures)),
        location=location,
        text_format=version.text_format,
        topic=version.topic,
        difficulty=version.difficulty,
        explanation=version.explanation,
        source=version.source,
        number=version.number,
    )


@transactional
def edit_picture(
    db: Session,
    actor: Actor,
    question_id: int,
    *,
    place: str,
    index: int | None = None,
    data: bytes | None = None,
    alt: str | None = None,
    remove: bool = False,
) -> QuestionVersion:
    """Add (``index`` None), replace (``data``), re-describe (``alt``) or remove one picture of a
    stem or an option, as the question's next version. ``place`` is "stem" or "option_<id>"."""
    question, current, _bank = question_with_version(db, question_id)
    draft = _draft_of(current, Location("form"))
    if place == "stem":
        pics = list(draft.pictures)
    else:
        option_index = next(
            (i for i, o in enumerate(read_options(current.options)) if place == f"option_{o.id}"),
            None,
        )
        if option_index is None:
            raise ContestError("Không có phương án này.", "There is no such option.", field="place")
        pics = list(draft.options[option_index].pictures)
    if index is not None and not 0 <= index < len(pics):
        raise ContestError("Không có hình này.", "There is no such picture.", field="picture")
    text = clean_alt(alt) if alt is not None else None
    if remove:
        if index is None:
            raise ContestError("Không có hình này.", "There is no such picture.", field="picture")
        del pics[index]
        what = "remove"
    else:
        if data is not None:
            try:
                encoded = encode_picture(data)
            except PictureRefused as refused:
                raise ContestError(
                    f"Hình: {refused.message_vi}", f"Picture: {refused.message_en}", field="file"
                ) from refused
        if index is None:
            if data is None:
                raise ContestError(
                    "Chưa chọn tệp hình.", "No picture file was chosen.", field="file"
                )
            if not text:
                raise ContestError(
                    "Hãy nhập mô tả (alt) cho hình: người không xem được hình sẽ nghe mô tả này.",
                    "Give the picture an alt text: people who cannot see it hear this text.",
                    field="alt",
                )
            pics.append(PictureDraft(encoded, text))
            what = "add"
        else:
            old = pics[index]
            new_alt = text if text is not None else old.alt
            if not new_alt:
                raise ContestError(
                    "Hãy nhập mô tả (alt) cho hình: người không xem được hình sẽ nghe mô tả này.",
                    "Give the picture an alt text: people who cannot see it hear this text.",
                    field="alt",
                )
            pics[index] = PictureDraft(encoded if data is not None else old.picture, new_alt)
            what = "replace" if data is not None else "describe"
    if place == "stem":
        draft = replace(draft, pictures=tuple(pics))
    else:
        options = list(draft.options)
        options[option_index] = replace(options[option_index], pictures=tuple(pics))
        draft = replace(draft, options=tuple(options))
    option_pictures = [picture_names(o.pictures) for o in draft.options]
    problems = check_question(
        draft.stem,
        [(o.text, o.correct) for o in draft.options],
        Location("form"),
        stem_pictured=bool(draft.pictures),
        option_pictures=option_pictures,
    )
    if problems:
        raise InvalidInput(
            [ContestError(i.message_vi, i.message_en, field=i.field) for i in problems]
        )
    if data is not None:
        pictures.store_pictures(db, [encoded])
    return _add_version(
        db,
        actor,
        question,
        draft,
        "bank.question_picture",
        {"picture": what, "place": place, "index": index},
    )


@dataclass(frozen=True)
class BankSummary:
    bank: QuestionBank
    questions: int
    rounds: int


def list_banks(db: Session) -> list[BankSummary]:
    counts = dict(
        db.execute(
            select(Question.bank_id, func.count())
            .where(Question.retired_at.is_(None))
            .group_by(Question.bank_id)
        ).all()
    )
    rounds = dict(
        db.execute(select(RoundBank.bank_id, func.count()).group_by(RoundBank.bank_id)).all()
    )
    banks = db.execute(select(QuestionBank).order_by(QuestionBank.code)).scalars()
    return [BankSummary(b, counts.get(b.id, 0), rounds.get(b.id, 0)) for b in banks]


@dataclass(frozen=True)
class BankPage:
    bank: QuestionBank
    rows: list[tuple[Question, QuestionVersion]]
    total: int
    page: int
    per_page: int
    rounds: list[Round]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def bank_page(db: Session, code: str, page: int = 1, per_page: int = 50) -> BankPage:
    bank = get_bank(db, code)
    total = db.execute(
        select(func.count())
        .select_from(Question)
        .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
    ).scalar_one()
    page = max(1, min(page, max(1, -(-total // per_page))))
    rows = db.execute(
        select(Question, QuestionVersion)
        .join(QuestionVersion, QuestionVersion.id == Question.current_version_id)
        .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
        .order_by(Question.position, Question.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    rounds = list(
        db.execute(
            select(Round)
            .join(RoundBank, RoundBank.round_id == Round.id)
            .where(RoundBank.bank_id == bank.id)
            .order_by(Round.contest_id, Round.number)
        ).scalars()
    )
    return BankPage(bank, [(q, v) for q, v in rows], total, page, per_page, rounds)


def question_with_version(
    db: Session, question_id: int
) -> tuple[Question, QuestionVersion, QuestionBank]:
    question = db.get(Question, question_id)
    if question is None:
        raise NotFound(
            f"Không có câu hỏi số {question_id}.", f"There is no question {question_id}."
        )
    return (
        question,
        db.get(QuestionVersion, question.current_version_id),
        db.get(QuestionBank, question.bank_id),
    )


def bank_drafts(
    db: Session, bank: QuestionBank, *, with_pictures: bool = False
) -> list[QuestionDraft]:
    """The bank's current questions as drafts; ``with_pictures`` reads the pictures' bytes too
    (for an export that embeds them)."""
    rows = db.execute(
        select(QuestionVersion)
        .join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.bank_id == bank.id, Question.retired_at.is_(None))
        .order_by(Question.position, Question.id)
    ).scalars()
    drafts = [_draft_of(v, Location(bank.code)) for v in rows]
    if with_pictures:
        drafts = pictures.with_bytes(db, drafts)
    return drafts


def export_bank(db: Session, bank_code: str, fmt: str) -> bytes:
    """The bank's current questions as .xlsx, GIFT or Moodle XML ("moodle-xml", or "xml"),
    in the form the importers read back unchanged; Moodle XML carries the pictures."""
    fmt = "moodle-xml" if fmt == "xml" else fmt
    if fmt not in EXPORT_FORMATS:
        raise ContestError(
            f"Định dạng xuất '{fmt}' không được hỗ trợ (xlsx, gift, moodle-xml).",
            f"The export format '{fmt}' is not supported (xlsx, gift, moodle-xml).",
            field="format",
        )
    bank = get_bank(db, bank_code)
    drafts = bank_drafts(db, bank, with_pictures=True)
    if fmt == "moodle-xml":
        return export_moodle_xml(drafts)
    if fmt == "xlsx":
        return export_xlsx(drafts, title=bank.title or bank.code)
    return export_gift(drafts).encode("utf-8")


def option_letter(index: int) -> str:
    return letter(index)
