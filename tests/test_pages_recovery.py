"""Recovery of article text trafilatura's default mode loses (:mod:`arabpress_crawler.pages.recovery`).

The golden fixtures (``formulas-in-mathml``, ``lists-and-subheads-without-article-frame``,
``list-in-layout-table-cell``, ``list-in-article-frame-kept-once``, ``arabic-list-without-article-frame``)
check the whole extraction; these check the rules one by one on small trees.
"""

from __future__ import annotations

from lxml import etree, html

from arabpress_crawler.pages.recovery import (
    blocks_between_paragraphs,
    formulas_as_text,
    with_blocks_between_paragraphs,
)

FIRST = "The first paragraph of the article is long enough to be running text on any page."
SECOND = "The second paragraph of the article follows the list and closes the short story here."


def _tree(inner: str) -> etree._Element:
    return html.fromstring(f"<html><body><div>{inner}</div></body></html>")


def _page(block: str) -> etree._Element:
    return _tree(f"<p>{FIRST}</p>{block}<p>{SECOND}</p>")


def test_a_formula_without_tex_source_becomes_its_symbols() -> None:
    tree = _tree("<p>Area <math><mi>A</mi><mo>=</mo><msup><mi>r</mi><mn>2</mn></msup></math>, roughly.</p>")
    formulas_as_text(tree)
    assert tree.findtext(".//p") == "Area A = r 2, roughly."


def test_a_formula_with_tex_source_is_left_to_trafilatura() -> None:
    tree = _tree('<p>Area <math alttext="A = r^2"><mi>A</mi></math>.</p>')
    formulas_as_text(tree)
    assert tree.find(".//math") is not None


def test_a_lost_list_comes_back_after_the_paragraph_before_it() -> None:
    tree = _page("<ul><li>One item of the list</li><li>Another item of the list</li></ul>")
    lines = [FIRST, SECOND]
    assert with_blocks_between_paragraphs(tree, lines) == [
        FIRST,
        "- One item of the list",
        "- Another item of the list",
        SECOND,
    ]


def test_a_list_of_links_stays_out() -> None:
    tree = _page('<ul><li>See:</li><li><a href="/a">Alpha</a></li><li><a href="/b">Beta</a></li></ul>')
    assert blocks_between_paragraphs(tree, [FIRST, SECOND]) == {}


def test_a_heading_over_nothing_recovered_stays_out() -> None:
    tree = _page('<h3>More stories</h3><ul><li><a href="/a">A long headline of a teaser</a></li></ul>')
    assert blocks_between_paragraphs(tree, [FIRST, SECOND]) == {}


def test_a_list_mostly_in_the_body_already_adds_nothing() -> None:
    items = ["First point made", "Second point made", "Third point made", "Fourth point, written otherwise"]
    tree = _page("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
    lines = [FIRST, *(f"- {item}" for item in items[:3]), "- Fourth point , written otherwise", SECOND]
    assert blocks_between_paragraphs(tree, lines) == {}


def test_without_two_kept_paragraphs_in_the_container_nothing_is_added() -> None:
    tree = _page("<ul><li>One item of the list</li></ul>")
    assert blocks_between_paragraphs(tree, [FIRST]) == {}
