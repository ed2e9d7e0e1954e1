"""Work WeasyPrint repeats within one render, done once (issue 14, docs/benchmarks.md).

A statement is a few tables of a few hundred rows, and their cells are alike: the same
computed style, the same column width, often the same text (``0.00`` is a third of a
ledger). WeasyPrint lays out and draws every cell from scratch. The patches here let a
render reuse what it already worked out for a like cell; each one is keyed so that a
reused result is exactly the one WeasyPrint would have computed, and each is checked by
tests/reports/test_render.py against a render without it (same text, same pixels).

Everything reused lives in a ``Memo`` made for one render (``rendering()``) and dropped
after it: nothing carries over from one document to the next. Keys hold ``id(style)``
and the memo keeps the style itself alive, so the id cannot be reused within the render.
Outside ``rendering()`` every patched function does exactly what WeasyPrint's does.

The patches (installed once per process by ``install()``):
- ``lines``: each distinct text in one style and width is fitted by Pango once, and its
  layout stays built for drawing the next box that shares it;
- ``layouts``: the Pango layout a line was fitted with stays built and draws the line,
  instead of being dropped after fitting and built again, text shaped again, to draw;
- ``lengths``: a style's used margins, paddings, sizes and border widths are resolved
  once per containing block;
- ``struts``: a style's line height and baseline are looked up once (WeasyPrint builds a
  string key of fourteen font properties on every line box to find them);
- ``floats``: a line box is placed across its containing block straight away while the
  page has no float (the documents have none) instead of being checked against floats;
- ``backgrounds``: a style without background, shadow, border image or rounded corners
  is recognised once, and its boxes get no background without looking again;
- ``borders``: a plain four-sided cell border is judged once per style and drawn as the
  two rectangles WeasyPrint draws for it, the operations around them (state, colour,
  fill) written as the first such border wrote them;
- ``text``: the glyph string of a shared line is written once and replayed at the next
  box's position;
- ``cells``: a table cell holding one line of text is laid out once per distinct text,
  style, width and column, and a like cell further down takes a copy moved to its row;
- ``texts``: a text box drawn like one before (the same fitted line and style, the same
  colour, font and text object in force) writes what that one wrote, at its own position;
- ``walks``: a box's descendants are listed by a loop instead of a generator per box;
- ``flows``: whether a box is in normal flow is judged once per style;
- ``numbers``: a float is written out (pydyf) once per render;
- ``matching``: the selectors matching an element are found once per distinct element
  (its tag and attributes and those of its ancestors) when no selector looks at siblings,
  children or position;
- ``cascade``: an element of a shape met before under the same parent style gets that
  element's computed style without a cascade of its own;
- ``queries``: a lookup of elements by bare tag name skips subtrees holding none;
- ``cycles``: the reference cycles that keep a finished render's boxes and styles for the
  garbage collector are broken when the render ends;
- ``paragraphs``: a text without paragraph breaks is laid out in single-paragraph mode
  from the start, so drawing it does not make Pango shape it again;
- ``fonts``: the PDF font of a Pango font is looked up once;
- ``glyphs``: a line of plain glyphs is written from Pango's glyph arrays read in one
  piece, each distinct glyph written once.

Where they live, one module a theme: ``lines`` (lines, layouts, paragraphs), ``layout``
(lengths, struts, floats, walks, flows), ``cells``, ``decoration`` (backgrounds, borders),
``text`` (text, texts), ``glyphs``, ``fonts``, ``pdf_numbers`` (numbers), ``matching``
(matching, cascade), ``queries`` and ``cycles``; ``state`` holds the memo of the render
under way (``state.CURRENT``) and WeasyPrint's originals. This module says which fast paths
a render uses (``ENABLED``), installs them all and scopes a render (``rendering()``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from service.reports.fastpaths import (
    cells,
    cycles,
    decoration,
    fonts,
    glyphs,
    layout,
    lines,
    matching,
    pdf_numbers,
    queries,
    state,
    text,
)
from service.reports.fastpaths.layout import USED_LENGTHS
from service.reports.fastpaths.state import ORIGINALS, Memo

__all__ = [
    "ALL",
    "ENABLED",
    "NEEDS",
    "ORIGINALS",
    "USED_LENGTHS",
    "Memo",
    "install",
    "rendering",
    "state",
]


# Fast paths that only take effect beside others: a drawn text is known again by its
# layout, which only ``lines`` shares between boxes.
# the cascade knows an element again by the shape ``matching`` gives it.
NEEDS: dict[str, frozenset[str]] = {
    "texts": frozenset({"lines"}),
    "cascade": frozenset({"matching"}),
}

# The fast paths a render uses; tests and measurements turn some off.
ALL = frozenset(
    (
        "lines",
        "layouts",
        "lengths",
        "struts",
        "floats",
        "backgrounds",
        "borders",
        "text",
        "cells",
        "matching",
        "numbers",
        "texts",
        "walks",
        "flows",
        "cascade",
        "queries",
        "cycles",
        "paragraphs",
        "fonts",
        "glyphs",
    )
)
ENABLED: frozenset[str] = ALL


@contextmanager
def rendering() -> Iterator[Memo]:
    """Reuse within the render done inside this block, and forget it afterwards."""
    state.CURRENT = memo = Memo(ENABLED)
    try:
        yield memo
    finally:
        state.CURRENT = None
        cycles.let_go(memo)


@lru_cache(maxsize=1)
def install() -> bool:
    """Install every patch (once per process)."""
    lines.install_lines()
    layout.install_lengths()
    layout.install_struts()
    layout.install_floats()
    decoration.install_backgrounds()
    decoration.install_borders()
    glyphs.install_glyphs()
    text.install_text()
    cells.install_cells()
    matching.install_matching()
    pdf_numbers.install_numbers()
    text.install_texts()
    layout.install_walks()
    layout.install_flows()
    matching.install_cascade()
    queries.install_queries()
    cycles.install_cycles()
    lines.install_paragraphs()
    fonts.install_fonts()
    return True
