"""Formulas in question text: where they are, how money stays money, and that nothing leaks HTML."""

import pytest

from contest import formulas


def latex_of(text: str) -> list[str]:
    return [p.latex for p in formulas.split(text) if p.latex is not None]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Giá 5$ và 10$", []),
        ("Giá $5 hoặc $10", []),
        ("giá 5$/kg và 7$/kg", []),
        ("US$5 và US$7", []),
        ("Tỷ giá 1$ = 25.000đ, 2$ = 50.000đ", []),
        ("Giá $5, phí $2 và $a$ là ẩn", ["a"]),
        ("Cost \\$5 and \\$6", []),
        ("Tính $x^2 + 1$ khi $x = 2$", ["x^2 + 1", "x = 2"]),
        ("$$\\frac{1}{2}$$ và \\(\\sqrt{2}\\) và \\[a+b\\]", ["\\frac{1}{2}", "\\sqrt{2}", "a+b"]),
        ("$ x$ có dấu cách sau $ mở", []),
        ("$5$ đô", ["5"]),
    ],
)
def test_money_is_not_read_as_a_formula(text, found):
    assert latex_of(text) == found


def test_vietnamese_text_around_a_formula_is_exact():
    html = formulas.render("Diện tích hình tròn bán kính $r$ là bao nhiêu? (ặ ỗ Ử)", "plain")
    assert html.startswith("Diện tích hình tròn bán kính <math")
    assert html.endswith("</math> là bao nhiêu? (ặ ỗ Ử)")
    assert "<mi>r</mi>" in html


def test_display_formulas_are_blocks_and_inline_ones_inline():
    html = formulas.render("$$x^2$$ và $y$", "plain")
    assert html.count('display="block"') == 1 and html.count('display="inline"') == 1


def test_plain_text_is_escaped_and_latex_cannot_inject_html():
    html = formulas.render(
        "<b>x</b> $\\text{<script>alert(1)</script>}$ \\(\\href{javascript:alert(1)}{y}\\)",
        "plain",
    )
    assert "<script" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "javascript" not in html and "href" not in html


def test_html_text_keeps_its_tags_and_reads_entities_in_formulas():
    html = formulas.render("<b>Đúng</b> khi $a &lt; b$", "html")
    assert html.startswith("<b>Đúng</b> khi <math")
    assert "<mo>&lt;</mo>" in html


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("$\\foo{x}$", "'\\foo' is not supported"),
        ("$x^$", "malformed"),
        ("$\\frac{1}$", "lacks a part"),
    ],
)
def test_formulas_that_cannot_be_shown_are_problems(text, reason):
    [problem] = formulas.problems(text, "plain")
    assert reason in problem.message_en and problem.message_vi


def test_a_formula_that_cannot_be_shown_stays_as_its_source_on_the_page():
    assert formulas.render("Sai $\\foo$ <", "plain") == "Sai $\\foo$ &lt;"


def test_escaped_dollar_shows_as_a_dollar():
    assert formulas.render("Giá \\$5", "plain") == "Giá $5"
