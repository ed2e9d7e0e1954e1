"""Pango layouts fitted once and kept built: the ``lines``, ``layouts`` and ``paragraphs``
fast paths.

WeasyPrint fits every text box with a new Pango layout (``split_first_line``), drops the
layout after fitting (``Layout.deactivate``), builds it again to draw the line
(``Layout.reactivate``) and, switching it to single-paragraph mode, makes Pango shape the
text a third time. Here a text fitted once in a style and width is the answer for the
next box like it, its layout stays built from fitting to drawing, and a text without a
paragraph break is set in single-paragraph mode from the start. Safe because a fitted
line depends only on what its key holds, no document rewrites a layout's text (only an
ellipsis would, and the documents never ask for one: tests/reports/test_render.py), and
single-paragraph mode changes nothing for a text without a paragraph separator.
"""

from __future__ import annotations

import re
from typing import Any

from service.reports.fastpaths import state


def ellipsis_asked(text_overflow: object, block_ellipsis: object) -> bool:
    """Whether a line is drawn with an ellipsis allowed (the ``text_overflow`` and
    ``block_ellipsis`` WeasyPrint's ``draw_text`` and ``draw_first_line`` are given): drawing
    it may then rewrite its layout's text, so no drawing fast path takes such a line."""
    return text_overflow == "ellipsis" or block_ellipsis != "none"


def install_lines() -> None:
    """Fit each distinct text once per render.

    WeasyPrint shapes every text box with Pango (``split_first_line``: a new Pango
    context and layout each time). Within one render the same text in the same computed
    style (like elements share one), width and position gives the same line: the result
    is reused. The layout object in it is shared between the text boxes; WeasyPrint keeps
    it inactive between uses and rebuilds it from its own text for drawing, and only an
    ellipsis (``text-overflow``, ``block-ellipsis``, which the documents never use) would
    rewrite that text. Drawing: a layout shared by several boxes stays built for the next
    box with the same style."""
    from weasyprint.layout import inline, preferred
    from weasyprint.text import line_break

    original = inline.split_first_line

    def split_first_line(
        text: str,
        style: Any,
        context: Any,
        max_width: Any,
        justification_spacing: Any,
        is_line_start: bool = True,
        minimum: bool = False,
    ) -> Any:
        cache = state.CURRENT.lines if state.CURRENT is not None else None
        if cache is None:
            return fit(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
        key = (
            text,
            id(style),
            id(context),
            max_width,
            justification_spacing,
            is_line_start,
            minimum,
        )
        found = cache.get(key)
        if found is None:
            result = fit(
                text, style, context, max_width, justification_spacing, is_line_start, minimum
            )
            cache[key] = (style, result)
            return result
        return found[1]

    def fit(*args: Any) -> Any:
        memo = state.CURRENT
        if memo is None or memo.layouts is None:
            return original(*args)
        memo.fitting = True
        try:
            return original(*args)
        finally:
            memo.fitting = False

    # Layout only: SVG text (weasyprint.svg.text) reshapes its layouts, so it keeps its own.
    state.ORIGINALS["split_first_line"] = original
    inline.split_first_line = split_first_line
    preferred.split_first_line = split_first_line

    original_reactivate = line_break.Layout.reactivate
    original_deactivate = line_break.Layout.deactivate

    def sharing() -> bool:
        return state.CURRENT is not None and (
            state.CURRENT.lines is not None or state.CURRENT.layouts is not None
        )

    def reactivate(self: Any, style: Any) -> None:
        if not sharing():
            original_reactivate(self, style)
            return
        if getattr(self, "changxiao_drawn", None) is style and hasattr(self, "layout"):
            return
        original_reactivate(self, style)
        self.changxiao_drawn = style

    def deactivate(self: Any) -> None:
        memo = state.CURRENT
        if (
            memo is not None
            and memo.layouts is not None
            and memo.fitting
            and not self.justification_spacing
        ):
            # Fitted: kept built, exactly as drawing would build it again (drawing sets
            # no width, which changes nothing for a line that fitted in its width, and
            # adds justification spacing, which only justified text has).
            memo.layouts[0] += 1
            self.changxiao_drawn = self.style
            return
        if sharing() and getattr(self, "changxiao_drawn", None) is not None:
            return
        self.changxiao_drawn = None
        original_deactivate(self)

    line_break.Layout.reactivate = reactivate
    line_break.Layout.deactivate = deactivate


# What Pango may take for the end of a paragraph (and a little more, to be safe).
PARAGRAPH_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def install_paragraphs() -> None:
    """Lay out a text without paragraph breaks in single-paragraph mode from the start.

    Before drawing a line WeasyPrint switches its Pango layout to single-paragraph mode,
    and Pango, seeing a setting change, throws the layout's lines away and itemizes and
    shapes the text again. The mode only decides what a paragraph separator (a newline
    and the like) does; in a text without one it changes nothing. Such a text is given
    the mode when it is set on a layout, so that the line fitted (``layouts`` keeps it
    built) is the line drawn, without shaping it again. A text with a separator is set
    with the mode off, as WeasyPrint sets every text."""
    from weasyprint.text import line_break
    from weasyprint.text.ffi import pango

    original = line_break.Layout.set_text

    def set_text(self: Any, text: str, justify: bool = False) -> None:
        counted = state.CURRENT.paragraphs if state.CURRENT is not None else None
        if counted is not None:
            single = PARAGRAPH_BREAKS.search(text) is None
            pango.pango_layout_set_single_paragraph_mode(self.layout, single)
            counted[0] += single
        original(self, text, justify)

    state.ORIGINALS["set_text"] = original
    line_break.Layout.set_text = set_text
