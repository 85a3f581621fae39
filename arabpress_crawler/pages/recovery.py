"""Text of the article that trafilatura's default mode loses, recovered cheaply around its one run.

trafilatura's balanced mode (what :class:`.generic.GenericLayer` runs) drops some text a reader sees as part
of the article; its recall mode keeps it but costs a second run and lets noise in. Each function here
recovers one kind of such text by its mechanism, on the copy of the page trafilatura reads:

* :func:`formulas_as_text`: a MathML formula without a TeX source (trafilatura keeps the TeX of a
  ``<math>`` that has one, and deletes the others with their symbols): its symbols in reading order, in
  place of the formula and of a renderer's wrapper around it.
"""

from __future__ import annotations

from lxml import etree

#: The TeX source of a formula, which trafilatura keeps as written (``local-name()``: namespaced XHTML too).
TEX_SOURCE = etree.XPath('@alttext | .//*[local-name()="annotation"][@encoding="application/x-tex"]')
#: Parts of a MathML formula that are markup source, not what a reader reads.
MATH_SOURCE_TAGS = frozenset({"annotation", "annotation-xml"})


def formulas_as_text(tree: etree._Element) -> None:
    """Replace each ``<math>`` of ``tree`` that has no TeX source by its symbols in reading order, separated
    by spaces (as a screen reader reads them): ``<mi>P</mi><mo>=</mo><mi>V</mi><mi>I</mi>`` → ``P = V I``."""
    for math in list(tree.iter("math")):
        parent = math.getparent()
        if parent is None or TEX_SOURCE(math):
            continue
        etree.strip_elements(math, *MATH_SOURCE_TAGS, with_tail=False)
        symbols = " ".join(text.strip() for text in math.itertext() if text.strip())
        # A renderer's wrapper (a custom element such as MathJax's ``<mjx-container>``, whose glyphs are drawn
        # by CSS) is the formula on screen; trafilatura deletes unknown elements whole, so it goes too
        rendered = math
        for ancestor in math.iterancestors():
            if not isinstance(ancestor.tag, str) or "-" not in ancestor.tag:
                break
            rendered = ancestor
        _replace_by_text(rendered, symbols)


def _replace_by_text(element: etree._Element, text: str) -> None:
    """Remove ``element`` from its parent, leaving ``text`` and the element's tail in its place."""
    parent = element.getparent()
    following = text + (element.tail or "")
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + following
    else:
        parent.text = (parent.text or "") + following
    parent.remove(element)
