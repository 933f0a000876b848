"""Domain exceptions that carry their message in Vietnamese and English."""

from __future__ import annotations


class ContestError(Exception):
    """A rule of the contest was broken; routers and the CLI show both messages."""

    def __init__(self, message_vi: str, message_en: str, *, field: str | None = None) -> None:
        super().__init__(message_en)
        self.message_vi = message_vi
        self.message_en = message_en
        self.field = field

    def message(self, lang: str = "vi") -> str:
        return self.message_en if lang == "en" else self.message_vi


class NotFound(ContestError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class PermissionDenied(ContestError):
    """The caller is authenticated but may not do this."""


class InvalidInput(ContestError):
    """Several field errors found at once, so a form can show them all."""

    def __init__(self, errors: list[ContestError]) -> None:
        super().__init__(
            "; ".join(e.message_vi for e in errors), "; ".join(e.message_en for e in errors)
        )
        self.errors = errors

    def by_field(self) -> dict[str, ContestError]:
        return {e.field or "": e for e in self.errors}
