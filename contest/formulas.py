"""Formulas in question text: LaTeX between $…$, $$…$$, \\(…\\) or \\[…\\], turned into MathML on the server.

The text keeps its LaTeX source (exports and edits show what the author typed); pages turn
it into MathML when they show it, which phones render with no JavaScript. ``problems`` is
what an importer asks: every formula that cannot be shown, with the reason.

Where a formula is (``split``):
- ``$$…$$``, ``\\[…\\]`` are shown as a block; ``$…$``, ``\\(…\\)`` inline; ``\\$`` is a
  dollar sign.
- A ``$…$`` pair is a formula only when (as Pandoc reads it) the character after the
  opening ``$`` and the one before the closing ``$`` are not spaces, the closing ``$`` is
  not followed by a digit, nothing between them is a ``$``, and, beyond Pandoc, the
  opening ``$`` does not follow a letter or digit. So money reads as money: "5$",
  "giá 5$/kg và 7$/kg", "$5 hoặc $10", "US$5" hold no formula.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache

from latex2mathml.converter import convert_to_element

TEXT_HTML = "html"

_DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|\\\[(.+?)\\\]", re.DOTALL)
_INLINE_PAREN = re.compile(r"\\\((.+?)\\\)", re.DOTALL)
_ENTITY = re.compile(r"&#x[0-9A-Fa-f]+;|&#\d+;")
_TAG = re.compile(r"<\s*/?\s*[A-Za-z]")
_COMMAND = re.compile(r"\\[A-Za-z]+")
_MATHML = frozenset(
    "math mrow mi mn mo ms mtext mspace msup msub msubsup mfrac msqrt mroot mover munder "
    "munderover mtable mtr mtd mlabeledtr mstyle mpadded mphantom menclose merror mfenced "
    "semantics annotation mmultiscripts mprescripts none maction".split()
)
_ARITY = {"mfrac": 2, "mroot": 2, "msub": 2, "msup": 2, "msubsup": 3, "mover": 2, "munder": 2}


@dataclass(frozen=True)
class Piece:
    """A run of the text: plain or HTML as stored (``latex`` None), or a formula's LaTeX."""

    text: str
    latex: str | None = None
    display: bool = False


class FormulaError(ValueError):
    def __init__(self, latex: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.latex = latex
        self.message_vi = message_vi
        self.message_en = message_en


def _inline_dollars(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the $…$ formulas of ``text`` under the money-safe rule."""
    spans: list[tuple[int, int]] = []
    i = 0
    while True:
        start = text.find("$", i)
        if start < 0:
            return spans
        i = start + 1
        if start > 0 and (text[start - 1] == "\\" or text[start - 1].isalnum()):
            continue
        if i >= len(text) or text[i].isspace():
            continue
        end = text.find("$", i)
        while end > 0 and text[end - 1] == "\\":
            end = text.find("$", end + 1)
        if end < 0:
            return spans
        after = text[end + 1 : end + 2]
        if text[end - 1].isspace() or after.isdigit():
            continue  # the closing $ fails, so this $ is not an opening one; try the next
        spans.append((start, end + 1))
        i = end + 1


def split(text: str) -> list[Piece]:
    """The text cut into plain runs and formulas, in order."""
    if "$" not in text and "\\(" not in text and "\\[" not in text:
        return [Piece(text)]
    found: list[tuple[int, int, str, bool]] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _DISPLAY.finditer(text):
        latex = match.group(1) if match.group(1) is not None else match.group(2)
        if latex.strip():
            found.append((match.start(), match.end(), latex, True))
            taken.append(match.span())
    for match in _INLINE_PAREN.finditer(text):
        if free(*match.span()) and match.group(1).strip():
            found.append((match.start(), match.end(), match.group(1), False))
            taken.append(match.span())
    masked = (
        "".join(" " if any(a <= i < b for a, b in taken) else ch for i, ch in enumerate(text))
        if taken
        else text
    )
    for start, end in _inline_dollars(masked):
        if free(start, end):
            found.append((start, end, text[start + 1 : end - 1], False))
    found.sort()
    pieces: list[Piece] = []
    at = 0
    for start, end, latex, display in found:
        if start > at:
            pieces.append(Piece(text[at:start]))
        pieces.append(Piece(text[start:end], latex.strip(), display))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:]))
    return pieces


def has_formula(text: str) -> bool:
    return any(piece.latex is not None for piece in split(text))


def _check(element: ET.Element, latex: str) -> None:
    for node in element.iter():
        tag = node.tag.rsplit("}", 1)[-1]
        if tag not in _MATHML:
            raise FormulaError(
                latex, f"không hiển thị được phần '{tag}'", f"the part '{tag}' cannot be shown"
            )
        if tag in _ARITY and len(node) != _ARITY[tag]:
            raise FormulaError(
                latex,
                "công thức thiếu một thành phần (ví dụ \\frac cần hai cặp {…})",
                "the formula lacks a part (for example \\frac needs two {…} groups)",
            )
        if node.text and tag != "mtext":
            unknown = _COMMAND.match(node.text.strip())
            if unknown:
                raise FormulaError(
                    latex,
                    f"lệnh LaTeX '{unknown.group()}' không được hỗ trợ",
                    f"the LaTeX command '{unknown.group()}' is not supported",
                )


@lru_cache(maxsize=8192)
def to_mathml(latex: str, display: bool = False) -> str:
    """MathML for one formula, safe to insert in a page; raises FormulaError.

    latex2mathml builds an element tree; we check it (MathML elements only, no
    unknown command left as text) and serialise it ourselves, so text such as
    ``\\text{<b>}`` comes out escaped and no link or event attribute survives.
    """
    try:
        element = convert_to_element(latex, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises many kinds for broken LaTeX
        raise FormulaError(
            latex,
            "công thức LaTeX viết sai (thiếu dấu ngoặc, ^ hoặc _ không có đối số…)",
            "the LaTeX formula is malformed (a brace missing, ^ or _ with nothing after it…)",
        ) from exc
    _check(element, latex)
    for node in element.iter():
        node.tag = node.tag.rsplit("}", 1)[-1]
        for name in list(node.attrib):
            if name.lower() == "href" or name.lower().startswith("on") or ":" in name:
                del node.attrib[name]
        if node.text:
            node.text = _ENTITY.sub(lambda m: html.unescape(m.group()), node.text)
    element.set("xmlns", "http://www.w3.org/1998/Math/MathML")
    return ET.tostring(element, encoding="unicode", short_empty_elements=True)


def _source(piece: Piece, text_format: str) -> str:
    assert piece.latex is not None
    # Stored HTML holds "<" as "&lt;": the formula is the text the author typed.
    return html.unescape(piece.latex) if text_format == TEXT_HTML else piece.latex


def problems(text: str, text_format: str) -> list[FormulaError]:
    """Every formula of ``text`` that cannot be shown."""
    found = []
    for piece in split(text):
        if piece.latex is None:
            continue
        if text_format == TEXT_HTML and _TAG.search(piece.latex):
            found.append(
                FormulaError(
                    piece.latex,
                    "công thức chứa định dạng HTML; hãy viết công thức chỉ bằng LaTeX",
                    "the formula holds HTML formatting; write the formula in LaTeX only",
                )
            )
            continue
        try:
            to_mathml(_source(piece, text_format), piece.display)
        except FormulaError as exc:
            found.append(exc)
    return found


def _plain(text: str, text_format: str) -> str:
    if text_format == TEXT_HTML:
        return text.replace("\\$", "$")
    return html.escape(text.replace("\\$", "$"), quote=False)


@lru_cache(maxsize=16384)
def render(text: str, text_format: str) -> str:
    """HTML for a stem or an option: plain text escaped, HTML as stored, formulas as MathML.

    A formula that cannot be shown (a bank imported before formulas were checked) stays
    as its escaped source, so the page never breaks.
    """
    out = []
    for piece in split(text):
        if piece.latex is None:
            out.append(_plain(piece.text, text_format))
            continue
        try:
            if text_format == TEXT_HTML and _TAG.search(piece.latex):
                raise FormulaError(piece.latex, "", "")
            mathml = to_mathml(_source(piece, text_format), piece.display)
        except FormulaError:
            out.append(_plain(piece.text, text_format))
            continue
        out.append(mathml)
    return "".join(out)
