"""Pictures found in a bank file, made ready for phones, with every problem reported at its place."""

from __future__ import annotations

import hashlib

from contest.drafts import Location, PictureDraft
from contest.importers.base import ImportIssue, ParseResult, make_issue
from contest.pictures import EncodedPicture, PictureRefused, clean_alt, encode_picture


class PictureReader:
    """Encodes the pictures of one file; the same bytes twice in a file are encoded once."""

    def __init__(self, result: ParseResult) -> None:
        self.result = result
        self._done: dict[str, EncodedPicture | PictureRefused] = {}

    def read(
        self, data: bytes, alt: object, where: Location, field: str | None, name: str = ""
    ) -> PictureDraft | None:
        """The picture, or None with an error added (the import then stops: a question that
        lost its picture could no longer be answered)."""
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self._done:
            try:
                self._done[digest] = encode_picture(data)
            except PictureRefused as refused:
                self._done[digest] = refused
        done = self._done[digest]
        named = f" '{name}'" if name else ""
        if isinstance(done, PictureRefused):
            self.result.errors.append(
                make_issue(
                    where,
                    field,
                    f"hình{named}: {done.message_vi}",
                    f"picture{named}: {done.message_en}",
                )
            )
            return None
        text = clean_alt(alt)
        if not text:
            self.result.warnings.append(missing_alt(where, field, name))
        return PictureDraft(done, text)


def missing_alt(where: Location, field: str | None, name: str = "") -> ImportIssue:
    named = f" '{name}'" if name else ""
    return make_issue(
        where,
        field,
        f"hình{named} không có mô tả (alt) cho người không xem được hình; hãy thêm mô tả trên trang ngân hàng câu hỏi",
        f"picture{named} has no alt text for people who cannot see it; add one on the question bank page",
    )


def picture_names(pictures: tuple[PictureDraft, ...]) -> str:
    """What tells two options' pictures apart (for the repeated-option check)."""
    return ",".join(p.picture.sha256 for p in pictures)
