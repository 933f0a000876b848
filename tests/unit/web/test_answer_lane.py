"""The answer lane reads a save's cookie and form from the raw request, as Starlette would."""

from __future__ import annotations

import pytest

from contest.web.answer_lane import _cookies, _fast_form


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("contest_session=abc", ("abc", None)),
        ("lang=en; contest_session=abc", ("abc", "en")),
        ("contest_session_old=zzz; contest_session=abc ;lang=vi", ("abc", "vi")),
        ("xcontest_session=abc", (None, None)),
        ("contest_session=", (None, None)),
        ("", (None, None)),
    ],
)
def test_the_session_and_language_cookies_are_found_among_others(header, expected):
    assert _cookies(header) == expected


def test_a_save_form_from_the_page_script_gives_the_choice_and_the_order():
    shown, order = _fast_form(b"q3=1&page=1732345678901&seq=7", 3)
    assert shown == [1]
    assert order == (1732345678901 << 20) | 7


@pytest.mark.parametrize(
    "body",
    [
        b"q3=1&seq=7",  # no page number: the routed endpoint answers
        b"q3=x&page=1732345678901&seq=7",
        b"q3=1&page=1732345678901&seq=-1",
        b"q3=%C2%B2&page=1732345678901&seq=7",  # a Unicode digit
    ],
)
def test_anything_but_a_plain_save_form_is_left_to_the_routed_endpoint(body):
    assert _fast_form(body, 3) is None
