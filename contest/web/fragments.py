"""The questions of the attempt page, stitched from fragments each process renders once.

A question version never changes once written (an edit makes a new one), so the HTML of its stem
and of each of its options (text escaped, formulas as MathML, pictures) is the same on every
paper that drew it. In a start burst thousands of people get the same few hundred versions: each
process renders a version's fragment once (bounded LRU keyed by version id, language and
``RENDERING``) and every page stitches the person's own part around it: the position, the option
order and letters, the input kind (which follows the effective key's size, not the key), the
person's saved choice (``checked``) and the save state.

A fragment is made from the text and pictures only: it never holds the key, the explanation or
anything of a person, so sharing it between people's pages shares nothing private.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

from contest import formulas
from contest.services import taking
from contest.services.taking import AttemptView, QuestionView
from contest.web.templating import env

# Bump when a fragment's HTML changes (this module, templates/_pictures.html, contest.formulas):
# a fragment cached under the old number is then never served again.
RENDERING = 1
MAX_FRAGMENTS = 4096


@dataclass(frozen=True, slots=True)
class Fragment:
    """One question version as HTML: the stem (with its pictures) and each option's text."""

    stem: str
    pictures: str  # the stem's pictures, "" when none
    options: dict[int, str]  # option id -> the option's text and pictures


_fragments: OrderedDict[tuple[int, str, int], Fragment] = OrderedDict()
_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0}


def clear() -> None:
    """Forget every fragment (tests that roll back: SQLite hands the same ids to other rows)."""
    with _lock:
        _fragments.clear()
        _stats["hits"] = _stats["misses"] = 0


taking.on_clear_process_caches(clear)


def stats() -> dict[str, int]:
    with _lock:
        return {**_stats, "size": len(_fragments)}


def _pictures_html(items) -> str:
    return str(env.get_template("_pictures.html").module.pictures(items))  # type: ignore[attr-defined]


def _text(value: str | None, text_format: str) -> str:
    return formulas.render(value or "", text_format)


def _render(q: QuestionView) -> Fragment:
    # Only text and pictures are read here: never `correct`, `chosen` or the explanation.
    options = {}
    for o in q.options:
        html = _text(o.text, q.text_format)
        if o.pictures:
            html += _pictures_html(o.pictures)
        options[o.option_id] = html
    return Fragment(
        _text(q.stem, q.text_format),
        _pictures_html(q.pictures) if q.pictures else "",
        options,
    )


def fragment(q: QuestionView, lang: str) -> Fragment:
    key = (q.version_id, lang, RENDERING)
    with _lock:
        found = _fragments.get(key)
        if found is not None and all(o.option_id in found.options for o in q.options):
            _fragments.move_to_end(key)
            _stats["hits"] += 1
            return found
    made = _render(q)
    with _lock:
        _stats["misses"] += 1
        _fragments[key] = made
        _fragments.move_to_end(key)
        while len(_fragments) > MAX_FRAGMENTS:
            _fragments.popitem(last=False)
    return made


def questions_html(view: AttemptView, lang: str, gettext: Callable[[str], str]) -> Markup:
    """Every question of the attempt page, as ``templates/taking/attempt.html`` places them."""
    labels = (
        escape(gettext("Question")),
        escape(gettext("Choose every right option.")),
        escape(gettext("Saved")),
    )
    return Markup("".join(_question(q, view.attempt.id, lang, labels) for q in view.questions))


def _question(q: QuestionView, attempt_id: int, lang: str, labels: tuple[str, str, str]) -> str:
    frag = fragment(q, lang)
    question, hint, saved = labels
    p = q.position
    kind = "checkbox" if q.multiple else "radio"
    parts = [
        f'<fieldset class="question" id="q{p}" data-position="{p}">\n'
        f'  <legend><span class="qno">{question} {p + 1}.</span> {frag.stem}</legend>\n'
    ]
    if frag.pictures:
        parts.append(f'<div class="pics">{frag.pictures}</div>')
    if q.multiple:
        parts.append(f'<p class="hint">{hint}</p>')
    parts.extend(_options(q, frag, attempt_id, kind))
    if q.saved_at:
        parts.append(f'  <p class="save-state saved" id="s{p}" aria-live="polite">{saved}</p>')
    else:
        parts.append(f'  <p class="save-state" id="s{p}" aria-live="polite"></p>')
    parts.append("\n</fieldset>")
    return "".join(parts)


def _options(q: QuestionView, frag: Fragment, attempt_id: int, kind: str) -> Iterable[str]:
    p = q.position
    for o in q.options:
        checked = " checked" if o.chosen else ""
        yield (
            f'  <label class="option"><input type="{kind}" name="q{p}" value="{o.index}"{checked}'
            f'      hx-post="/attempts/{attempt_id}/answers/{p}" hx-trigger="change" hx-target="#s{p}"\n'
            f'      hx-include="#q{p}" hx-sync="#q{p}:queue last">\n'
            f'    <span class="letter">{o.letter}.</span> <span>{frag.options[o.option_id]}</span></label>\n'
        )
