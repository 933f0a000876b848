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


@pytest.mark.parametrize(
    "body",
    [
        b"q3=1&page=1732345678901&seq=7",
        b"q3=0&page=1732345678901&seq=0",
        b"page=1732345678901&q3=2&seq=7",  # another order: parse_qs reads it
        b"q3=1&q3=2&page=1732345678901&seq=7",  # a multiple choice: parse_qs reads it
        b"q3=1&page=1732345678901&seq=7&extra=1",
        b"q3=+1&page=1732345678901&seq=7",
        b"q4=1&page=1732345678901&seq=7",
        b"q3=1&page=&seq=7",
    ],
)
def test_the_plain_form_reader_agrees_with_parse_qs(body):
    from urllib.parse import parse_qs

    from contest.web.answer_lane import _plain_form

    plain = _plain_form(body, 3)
    assert plain is None or plain == parse_qs(body.decode())
    if body == b"q3=1&page=1732345678901&seq=7":
        assert plain is not None


def test_the_csrf_check_remembers_a_session_token_but_refuses_any_other():
    from contest.web import csrf
    from contest.web.answer_lane import _csrf_matches

    good = csrf.token_matches  # the routed endpoints' check
    token = "session-abc"
    expected = csrf.token_for_session(token)
    assert good(expected, "s:" + token)
    assert _csrf_matches(expected, token)
    assert _csrf_matches(expected, token)  # remembered
    assert not _csrf_matches(expected[:-1] + "x", token)
    assert not _csrf_matches(expected, "session-other")


def test_a_cookie_longer_than_any_session_is_refused_and_not_remembered():
    from contest.web import answer_lane, csrf

    huge = "s" * 16_000
    assert not answer_lane._csrf_matches(csrf.token_for_session(huge), huge)
    assert huge not in answer_lane._csrf_seen


def test_a_non_ascii_csrf_header_is_refused_not_an_error():
    from contest.web import answer_lane, csrf

    token = "session-token-" + "a" * 29
    assert not answer_lane._csrf_matches("\xe9" * 43, token)
    assert not csrf.token_matches("\xe9" * 43, "s:" + token)
