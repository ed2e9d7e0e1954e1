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
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

# Fast paths that only take effect beside others: a drawn text is known again by its
# layout, which only ``lines`` shares between boxes.
# the cascade knows an element again by the shape ``matching`` gives it.
NEEDS: dict[str, frozenset[str]] = {
    "texts": frozenset({"lines"}),
    "cascade": frozenset({"matching"}),
}

# What drawing a text box wrote: its layout, whether it reopened the text object just
# closed, the writes, where the text matrix is in them, the stream state it left.
TextWrites = tuple[Any, bool, list[Any], int, tuple[Any, ...]]

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


class Memo:
    """What one render has worked out, by kind (None: that fast path is off)."""

    def __init__(self, enabled: frozenset[str]) -> None:
        # (text, id(style), max width, ...) → (style, WeasyPrint's split_first_line result)
        self.lines: dict[tuple[Any, ...], tuple[Any, Any]] | None = (
            {} if "lines" in enabled else None
        )
        # Pango layouts fitted in this render and kept built for drawing (a count), and
        # whether a fitting is under way (only its layouts are kept)
        self.layouts: list[int] | None = [0] if "layouts" in enabled else None
        self.fitting = False
        # (id(style), containing block size, page box?) → (style, used lengths)
        self.lengths: dict[tuple[Any, ...], tuple[Any, dict[str, Any]]] | None = (
            {} if "lengths" in enabled else None
        )
        # id(style) → (style, (line height, baseline))
        self.struts: dict[int, tuple[Any, Any]] | None = {} if "struts" in enabled else None
        # line boxes placed without looking for floats while none is on the page (a count)
        self.floats: list[int] | None = [0] if "floats" in enabled else None
        # id(style) → (style, True when a box of that style has no background to lay out)
        self.backgrounds: dict[int, tuple[Any, bool]] | None = (
            {} if "backgrounds" in enabled else None
        )
        # id(style) → (style, colour of a plain rectangle border or None)
        self.borders: dict[int, tuple[Any, Any]] | None = {} if "borders" in enabled else None
        # (id(style), id(page resources), fill colour and alpha in force) → (resources,
        # what drawing such a border wrote before and after its two rectangles)
        self.border_writes: dict[tuple[Any, ...], tuple[Any, list[Any], list[Any]]] = {}
        # (id(layout), id(style), id(fonts), the stream's state) → (layout, what drawing
        # its text wrote, where the text matrix is in that, the state it left)
        self.texts: (
            dict[tuple[Any, ...], tuple[Any, bool, list[Any], int, tuple[Any, ...]]] | None
        ) = {} if "texts" in enabled else None
        self.texts_reused = 0
        # boxes walked by the loop (a count)
        self.walks: list[int] | None = [0] if "walks" in enabled else None
        # id(style) → (style, whether a box of that style is in normal flow)
        self.flows: dict[int, tuple[Any, bool]] | None = {} if "flows" in enabled else None
        # a float → how pydyf writes it
        self.numbers: dict[float, bytes] | None = {} if "numbers" in enabled else None
        # id(layout) → (layout, the stream operations that drew its first line)
        self.text: dict[int, tuple[Any, list[tuple[str, tuple[Any, ...]]]]] | None = (
            {} if "text" in enabled else None
        )
        # (cell key) → (styles kept alive, the laid-out cell, the next-page value); and
        # how many were reused
        self.cells: dict[tuple[Any, ...], tuple[Any, Any, dict[str, Any]]] | None = (
            {} if "cells" in enabled else None
        )
        self.cells_reused = 0
        # (id(matcher), element shape) → the matcher's answer; element shapes by
        # id(element wrapper) → (wrapper, shape number) and by what they are made of;
        # id(matcher) → (matcher, whether its selectors look only at what a shape holds)
        self.matching: dict[tuple[int, int], Any] | None = {} if "matching" in enabled else None
        self.matching_reused = 0
        self.shapes: dict[int, tuple[Any, int]] = {}
        self.shape_numbers: dict[tuple[Any, ...], int] = {}
        self.matchers: dict[int, tuple[Any, bool]] = {}
        # (id(parent's computed style), element shape) → the computed style elements of
        # that shape under that parent share; the style lookup being built (StyleFor),
        # and how many elements were given a style without a cascade
        self.cascade: dict[tuple[int, int], Any] | None = {} if "cascade" in enabled else None
        self.styling: Any = None
        self.cascade_reused = 0
        # element lookups by tag name that skipped subtrees holding no such element (a count)
        self.queries: list[int] | None = [0] if "queries" in enabled else None
        # WeasyPrint's layout contexts of this render, let go of when it ends
        self.cycles: list[Any] | None = [] if "cycles" in enabled else None
        # texts laid out as one paragraph from the start (a count)
        self.paragraphs: list[int] | None = [0] if "paragraphs" in enabled else None
        # (id(the document's fonts), Pango font address) → (those fonts, what add_font
        # answered); the Pango fonts held for the render, by address
        self.fonts: dict[tuple[int, int], tuple[Any, Any]] | None = (
            {} if "fonts" in enabled else None
        )
        self.held_fonts: dict[int, Any] = {}
        # (id(font), size, glyph id, advance, x offset) → (font, how the glyph is written);
        # lines written from the glyph arrays
        self.glyphs: dict[tuple[Any, ...], tuple[Any, str]] | None = (
            {} if "glyphs" in enabled else None
        )
        self.glyphs_written = 0

    def taken(self, name: str) -> bool:
        """Whether the fast path ``name`` did its work at least once in this render."""
        if name == "cells":
            return self.cells_reused > 0
        if name == "matching":
            return self.matching_reused > 0
        if name == "texts":
            return self.texts_reused > 0
        if name == "cascade":
            return self.cascade_reused > 0
        if name == "glyphs":
            return self.glyphs_written > 0
        found = getattr(self, name)
        return bool(found) and found != [0]


# WeasyPrint's own functions, by name, as they were before the patches.
ORIGINALS: dict[str, Any] = {}

# The memo of the render running now (renders run one at a time, ``render._WEASYPRINT``).
CURRENT: Memo | None = None


@contextmanager
def rendering() -> Iterator[Memo]:
    """Reuse within the render done inside this block, and forget it afterwards."""
    global CURRENT
    CURRENT = memo = Memo(ENABLED)
    try:
        yield memo
    finally:
        CURRENT = None
        _let_go(memo)


@lru_cache(maxsize=1)
def install() -> bool:
    """Install every patch (once per process)."""
    _install_lines()
    _install_lengths()
    _install_struts()
    _install_floats()
    _install_backgrounds()
    _install_borders()
    _install_glyphs()
    _install_text()
    _install_cells()
    _install_matching()
    _install_numbers()
    _install_texts()
    _install_walks()
    _install_flows()
    _install_cascade()
    _install_queries()
    _install_cycles()
    _install_paragraphs()
    _install_fonts()
    return True


def _rebind(origin: Any, name: str, original: Any, replacement: Any) -> None:
    """Point ``origin.name``, and every loaded WeasyPrint module that imported it by name,
    at ``replacement``."""
    ORIGINALS.setdefault(name, original)
    for key, module in list(sys.modules.items()):
        if key.startswith("weasyprint.") and getattr(module, name, None) is original:
            setattr(module, name, replacement)


def _install_lines() -> None:
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
        cache = CURRENT.lines if CURRENT is not None else None
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
        memo = CURRENT
        if memo is None or memo.layouts is None:
            return original(*args)
        memo.fitting = True
        try:
            return original(*args)
        finally:
            memo.fitting = False

    # Layout only: SVG text (weasyprint.svg.text) reshapes its layouts, so it keeps its own.
    ORIGINALS["split_first_line"] = original
    inline.split_first_line = split_first_line
    preferred.split_first_line = split_first_line

    original_reactivate = line_break.Layout.reactivate
    original_deactivate = line_break.Layout.deactivate

    def sharing() -> bool:
        return CURRENT is not None and (CURRENT.lines is not None or CURRENT.layouts is not None)

    def reactivate(self: Any, style: Any) -> None:
        if not sharing():
            original_reactivate(self, style)
            return
        if getattr(self, "changxiao_drawn", None) is style and hasattr(self, "layout"):
            return
        original_reactivate(self, style)
        self.changxiao_drawn = style

    def deactivate(self: Any) -> None:
        memo = CURRENT
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


# What WeasyPrint's ``resolve_percentages`` sets on a box (checked against this version
# by tests/reports/test_render.py).
USED_LENGTHS = (
    "margin_top",
    "margin_right",
    "margin_bottom",
    "margin_left",
    "padding_top",
    "padding_right",
    "padding_bottom",
    "padding_left",
    "width",
    "min_width",
    "max_width",
    "height",
    "min_height",
    "max_height",
    "border_top_width",
    "border_right_width",
    "border_bottom_width",
    "border_left_width",
)


def _install_lengths() -> None:
    """Resolve a style's used lengths once per containing block.

    WeasyPrint resolves margins, paddings, widths, heights and border widths of every box
    from its computed style each time the box is laid out. Those values depend only on
    the style, the containing block's width and height and whether the box is a page;
    within a render the first result is copied onto the next box with the same style and
    containing block. Collapsed borders, where WeasyPrint keeps border widths it resolved
    on the box itself, go the long way."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import percent

    original = percent.resolve_percentages

    def resolve_percentages(box: Any, containing_block: Any) -> None:
        cache = CURRENT.lengths if CURRENT is not None else None
        style = box.style
        if cache is None or style["border_collapse"] == "collapse":
            original(box, containing_block)
            return
        if isinstance(containing_block, boxes.Box):
            size = (containing_block.width, containing_block.height)
        else:
            size = tuple(containing_block)
        key = (id(style), size, isinstance(box, boxes.PageBox))
        found = cache.get(key)
        if found is None:
            original(box, containing_block)
            cache[key] = (style, {name: getattr(box, name) for name in USED_LENGTHS})
            return
        box.__dict__.update(found[1])

    _rebind(percent, "resolve_percentages", original, resolve_percentages)


def _install_struts() -> None:
    """Look up a style's line height and baseline once per render.

    ``strut(style)`` depends on the style alone; WeasyPrint keeps the answer in the font
    configuration under a string it builds from the style's font properties on every
    call (for every line box). Within a render the answer is kept by style."""
    from weasyprint.text import line_break

    original = line_break.strut

    def strut(style: Any) -> Any:
        cache = CURRENT.struts if CURRENT is not None else None
        if cache is None:
            return original(style)
        found = cache.get(id(style))
        if found is None:
            found = cache[id(style)] = (style, original(style))
        return found[1]

    _rebind(line_break, "strut", original, strut)


def _install_floats() -> None:
    """Place a line box without looking for floats while there are none.

    WeasyPrint places every line box (two or three times per line) by checking it against
    the floats laid out so far on the page (``avoid_collisions``). With no float there,
    the line spans its containing block: from the content box's left edge less the
    line's left margin, as wide as the containing block less the line's margins, starting
    at the right edge in a right-to-left block. That is what is returned here, for line
    boxes only; any other box, or a page with a float, goes WeasyPrint's own way."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import float as floats

    original = floats.avoid_collisions

    def avoid_collisions(context: Any, box: Any, containing_block: Any, outer: bool = True) -> Any:
        counted = CURRENT.floats if CURRENT is not None else None
        if (
            counted is None
            or outer
            or context.excluded_shapes
            or not isinstance(box, boxes.LineBox)
            or box.style["float"] != "none"
        ):
            return original(context, box, containing_block, outer)
        counted[0] += 1
        left = containing_block.content_box_x() + box.margin_left
        right = containing_block.content_box_x() + containing_block.width - box.margin_right
        position_x = right if containing_block.style["direction"] == "rtl" else left
        return (
            position_x - box.margin_left,
            box.border_box_y() - box.margin_top,
            right - left,
        )

    _rebind(floats, "avoid_collisions", original, avoid_collisions)


CORNERS = ("top_left", "top_right", "bottom_right", "bottom_left")
RADII = tuple(f"border_{corner}_radius" for corner in CORNERS)


def _install_backgrounds() -> None:
    """Lay out the backgrounds of a box without one quickly.

    After a page is laid out WeasyPrint visits every box on it to resolve its corner
    radii and lay out its background layers, reading a dozen properties of its style each
    time. Most boxes of a document (every cell, line and text) have square corners, no
    background colour or image, no shadow, no border or mask image: for them WeasyPrint
    sets the radii to zero and the background to None. Within a render a style is judged
    once; a box of a plain style gets exactly that, its children are visited as before,
    and every other box (and the page itself) goes WeasyPrint's own way."""
    from weasyprint.draw.color import get_color
    from weasyprint.layout import background

    original = background.layout_box_backgrounds
    zero = (0, "px")

    def plain(style: Any) -> bool:
        if style["box_shadow"] or style["border_image_source"][0] != "none":
            return False
        if style["mask_border_source"][0] != "none":
            return False
        if any(zero not in style[f"border_{corner}_radius"] for corner in CORNERS):
            return False
        if style["visibility"] == "hidden":
            return True
        layers = style["background_image"]
        return get_color(style, "background_color").alpha == 0 and not any(
            kind == "url" or value for kind, value in layers
        )

    def layout_box_backgrounds(
        page: Any,
        box: Any,
        get_image_from_uri: Any,
        layout_children: bool = True,
        style: Any = None,
    ) -> None:
        cache = CURRENT.backgrounds if CURRENT is not None else None
        if cache is None or style is not None or box is page:
            original(page, box, get_image_from_uri, layout_children, style)
            return
        found = cache.get(id(box.style))
        if found is None:
            found = cache[id(box.style)] = (box.style, plain(box.style))
        if not found[1]:
            original(page, box, get_image_from_uri, layout_children, style)
            return
        for name in RADII:
            setattr(box, name, (0, 0))
        if layout_children:
            for child in box.all_children():
                layout_box_backgrounds(page, child, get_image_from_uri)
        box.background = None

    _rebind(background, "layout_box_backgrounds", original, layout_box_backgrounds)


def _install_borders() -> None:
    """Draw a plain cell border without judging its style again.

    Before drawing a box's border WeasyPrint reads the four sides' widths, colours and
    styles and builds the border and padding boxes with their corner radii. The
    documents' grid cells carry one plain border: solid, one colour, one width on all
    four sides, square corners. Within a render that judgement is made once per style,
    and such a box is drawn exactly as WeasyPrint draws it: an even-odd fill between the
    padding box and the border box, in its own graphics state, marked as an artifact.
    Any other border goes WeasyPrint's own way."""
    from weasyprint.draw import border
    from weasyprint.draw.color import get_color

    original = border.draw_border
    sides = ("top", "right", "bottom", "left")

    def plain_colour(style: Any) -> Any:
        if (
            style["visibility"] != "visible"
            or style["column_width"] != "auto"
            or style["column_count"] != "auto"
            or style["border_image_source"][0] != "none"
        ):
            return None
        widths = {style[f"border_{side}_width"] for side in sides}
        colours = {get_color(style, f"border_{side}_color") for side in sides}
        styles = {style[f"border_{side}_style"] for side in sides}
        if len(widths) != 1 or 0 in widths or len(colours) != 1 or styles != {"solid"}:
            return None
        colour = next(iter(colours))
        rounded = any(
            rx.value != 0 and ry.value != 0
            for rx, ry in (style[f"border_{corner}_radius"] for corner in CORNERS)
        )
        return None if rounded or not colour.alpha else colour

    def draw_border(stream: Any, box: Any) -> None:
        cache = CURRENT.borders if CURRENT is not None else None
        if cache is None:
            original(stream, box)
            return
        found = cache.get(id(box.style))
        if found is None:
            found = cache[id(box.style)] = (box.style, plain_colour(box.style))
        colour = found[1]
        width = box.border_top_width
        if (
            colour is None
            or not width
            or box.border_right_width != width
            or box.border_bottom_width != width
            or box.border_left_width != width
        ):
            original(stream, box)
            return
        x, y = box.border_box_x(), box.border_box_y()
        outer_width, outer_height = box.border_width(), box.border_height()
        writes = CURRENT.border_writes if CURRENT is not None else None
        key = (id(box.style), id(stream._resources), stream._current_color, stream._current_alpha)
        found_writes = writes.get(key) if writes is not None and stream._tags is None else None
        if found_writes is not None and found_writes[0] is stream._resources:
            # What the first such border wrote around its rectangles, and the state
            # WeasyPrint's ``pop_state`` leaves (the transformation stack is unchanged).
            stream.stream.extend(found_writes[1])
            stream.rectangle(
                x + width, y + width, outer_width - width - width, outer_height - width - width
            )
            stream.rectangle(x, y, outer_width, outer_height)
            stream.stream.extend(found_writes[2])
            stream._current_color = stream._current_color_stroke = None
            stream._current_alpha = stream._current_alpha_stroke = None
            stream._current_font = None
            return
        written = stream.stream
        start = len(written)
        with stream.artifact(), stream.stacked():
            stream.set_color(colour)
            before = len(written)
            stream.rectangle(
                x + width, y + width, outer_width - width - width, outer_height - width - width
            )
            stream.rectangle(x, y, outer_width, outer_height)
            after = len(written)
            stream.fill(even_odd=True)
        if writes is not None and stream._tags is None and after == before + 2:
            writes[key] = (stream._resources, written[start:before], written[after:])

    _rebind(border, "draw_border", original, draw_border)


# The stream operations WeasyPrint's ``draw_first_line`` performs to write a line.
TEXT_OPERATIONS = frozenset(
    ("set_text_matrix", "add_font", "set_font_size", "show_text", "set_text_rise")
)


class _TextRecorder:
    """A content stream that notes the text operations done on it (and does them)."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.operations: list[tuple[str, tuple[Any, ...]]] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.stream, name)
        if name not in TEXT_OPERATIONS:
            return value

        def operation(*args: Any) -> Any:
            self.operations.append((name, args))
            return value(*args)

        return operation


def _install_text() -> None:
    """Write the glyph string of a shared line once per render.

    For every text box WeasyPrint walks the line's glyphs, looks up each one's width and
    Unicode mapping and writes the glyph string. Boxes that share one fitted line
    (``lines``: the same text, style and width) write the same operations; only the text
    matrix, where the line starts, differs. The first drawing's operations are noted and
    replayed for the next box with that line, at its own position. A line with an
    ellipsis or with colour glyphs (emoji, drawn as images afterwards) is drawn
    WeasyPrint's way every time."""
    from weasyprint.draw import text

    original = text.draw_first_line

    def draw_first_line(
        stream: Any, textbox: Any, text_overflow: Any, block_ellipsis: Any, matrix: Any
    ) -> Any:
        cache = CURRENT.text if CURRENT is not None else None
        if cache is None or text_overflow == "ellipsis" or block_ellipsis != "none":
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        layout = textbox.pango_layout
        found = cache.get(id(layout))
        if found is not None and found[0] is layout:
            for name, args in found[1]:
                getattr(stream, name)(*(matrix.values if name == "set_text_matrix" else args))
            return []
        recorder = _TextRecorder(stream)
        emojis = original(recorder, textbox, text_overflow, block_ellipsis, matrix)
        if not emojis:
            cache[id(layout)] = (layout, recorder.operations)
        return emojis

    _rebind(text, "draw_first_line", original, draw_first_line)


# What WeasyPrint puts on a table cell, its line box and its text box before laying them
# out, when their element asks for nothing more (a link, a bookmark label, counters or
# anything else adds attributes): the ``cells`` key holds all of it that matters.
CELL_ATTRIBUTES = frozenset(
    (
        *("border_bottom_width", "border_left_width", "border_right_width", "border_top_width"),
        *("margin_bottom", "margin_left", "margin_right", "margin_top"),
        *("padding_bottom", "padding_left", "padding_right", "padding_top"),
        *("width", "min_width", "max_width", "height", "min_height", "max_height"),
        *("computed_height", "position_x", "position_y", "colspan", "rowspan", "grid_x"),
        *("leading_collapsible_space", "trailing_collapsible_space", "string_set"),
        *("children", "element", "element_tag", "style", "remove_decoration_sides"),
        *("first_letter_style", "first_line_style"),
    )
)
LINE_ATTRIBUTES = frozenset(
    (
        *("children", "element", "element_tag", "style", "remove_decoration_sides"),
        *("first_letter_style", "first_line_style"),
    )
)
TEXT_ATTRIBUTES = LINE_ATTRIBUTES | {"text"}

# A cell's used lengths (``lengths``), part of what a laid-out cell is reused for.
_CELL_LENGTHS = tuple(name for name in USED_LENGTHS if name != "width")
lengths_of = operator.attrgetter(*_CELL_LENGTHS)


def _install_cells() -> None:
    """Lay out a table cell of one line of text once per render for each distinct cell.

    WeasyPrint lays out every cell of a table row by row: the block container, its line
    box, the text box in it (``block_container_layout``). A ledger's cells are alike: a
    cell with the same computed style, column, width, lengths and text as one laid out
    before in this render gives the same boxes, only lower on the page, as long as its
    line fits above the page's bottom (the one place where the position changes the
    result). Such a cell gets a copy of the earlier result, its boxes pointing at its own
    elements, and the copy's vertical positions and height are worked out from its own
    top by the sums WeasyPrint does (not moved by a difference: a float moved by a
    difference can end a last bit away, and a number written to six decimals can then
    round the other way). Anything else goes WeasyPrint's own way: a cell of more than
    one text box, a text not on the baseline, a cell near the page's bottom, a cell of a
    split row, a relatively positioned or ``::first-line`` styled cell, and a cell whose
    boxes carry anything of their element's own beyond what the key holds (a link, a
    bookmark label, counters: ``*_ATTRIBUTES``). Only a result that fitted without
    breaking is kept for reuse."""
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import block

    original = block.block_container_layout
    cell_type, line_type, text_type = boxes.TableCellBox, boxes.LineBox, boxes.TextBox

    def key_of(cell: Any) -> tuple[Any, ...] | None:
        children = cell.children
        if len(children) != 1 or type(children[0]) is not line_type:
            return None
        line = children[0]
        if len(line.children) != 1 or type(line.children[0]) is not text_type:
            return None
        text = line.children[0]
        style = cell.style
        if (
            not cell.__dict__.keys() <= CELL_ATTRIBUTES
            or not line.__dict__.keys() <= LINE_ATTRIBUTES
            or not text.__dict__.keys() <= TEXT_ATTRIBUTES
            or cell.first_line_style is not None
            or cell.first_letter_style is not None
            or line.first_line_style is not None
            or line.first_letter_style is not None
            or text.first_line_style is not None
            or text.first_letter_style is not None
            or cell.string_set
            or style["position"] != "static"
            or style["max_lines"] != "none"
            or style["continue"] != "auto"
            or style["box_decoration_break"] != "slice"
            or style["float"] != "none"
            or text.style["vertical_align"] != "baseline"
        ):
            return None
        return (
            id(style),
            id(line.style),
            id(text.style),
            text.text,
            cell.position_x,
            cell.width,
            cell.height,
            cell.computed_height,
            cell.grid_x,
            cell.colspan,
            cell.rowspan,
            cell.leading_collapsible_space,
            cell.trailing_collapsible_space,
            lengths_of(cell),
        )

    # Positions and heights here are WeasyPrint's page coordinates (floats, in CSS
    # pixels), never money or floor area; they are summed in WeasyPrint's own order.
    def bottom_of(laid: Any, content_y: float) -> Any:
        """Where WeasyPrint's overflow check looks for a one-line cell whose content box
        starts at ``content_y``: the line's bottom, then the bottom padding and border."""
        line_bottom = content_y + laid.children[0].height
        return line_bottom + (laid.border_bottom_width + laid.padding_bottom)

    def reuse(found: Any, cell: Any, position_y: float, content_y: float) -> Any:
        # A deep copy of the stored cell, box by box (its one line holds one text).
        stored = found[1]
        laid, line = stored.copy(), stored.children[0].copy()
        text = line.children[0].copy()
        line.children, laid.children = [text], [line]
        own_line = cell.children[0]
        # The cell, its line and its text: the shape ``key_of`` admits.
        for copy, own in ((laid, cell), (line, own_line), (text, own_line.children[0])):
            copy.element = own.element
            copy.element_tag = own.element_tag
            copy.remove_decoration_sides = set(copy.remove_decoration_sides)
        # WeasyPrint's sums: the line at the content box's top; the text placed with the
        # line's baseline at 0 (its top at minus its baseline), then moved by the content
        # box's top less the line's top (minus the line's baseline); the cell as high as
        # its content, within its minimum and maximum heights.
        laid.position_y = position_y
        line.position_y = content_y
        text.position_y = (0 - text.baseline) + (content_y - (-line.baseline))
        height = max(0, (content_y + line.height) - content_y)
        laid.height = max(min(height, laid.max_height), laid.min_height)
        # What WeasyPrint leaves on the cell it was given.
        cell.remove_decoration_sides = set()
        return laid, None, dict(found[2]), [], False, None

    def block_container_layout(
        context: Any,
        box: Any,
        bottom_space: Any,
        skip_stack: Any,
        page_is_empty: Any,
        absolute_boxes: Any,
        fixed_boxes: Any,
        adjoining_margins: Any,
        first_letter_style: Any,
        first_line_style: Any,
        discard: Any,
        max_lines: Any,
    ) -> Any:
        memo = CURRENT
        cells = memo.cells if memo is not None else None
        key = None
        if (
            cells is not None
            and type(box) is cell_type
            and skip_stack is None
            and adjoining_margins is None
            and first_letter_style is None
            and first_line_style is None
            and not discard
            and max_lines is None
        ):
            key = key_of(box)
        if key is not None:
            found = cells.get(key)  # type: ignore[union-attr]
            if found is not None:
                content_y = box.content_box_y()
                if not context.overflows_page(bottom_space, bottom_of(found[1], content_y)):
                    memo.cells_reused += 1  # type: ignore[union-attr]
                    return reuse(found, box, box.position_y, content_y)
        result = original(
            context,
            box,
            bottom_space,
            skip_stack,
            page_is_empty,
            absolute_boxes,
            fixed_boxes,
            adjoining_margins,
            first_letter_style,
            first_line_style,
            discard,
            max_lines,
        )
        if key is not None:
            laid, resume_at, next_page, margins, through, _lines = result
            if (
                laid is not None
                and resume_at is None
                and not margins
                and not through
                and len(laid.children) == 1
                and type(laid.children[0]) is line_type
                and len(laid.children[0].children) == 1
                and type(laid.children[0].children[0]) is text_type
                and not context.overflows_page(bottom_space, bottom_of(laid, laid.content_box_y()))
            ):
                line = laid.children[0]
                cells[key] = (  # type: ignore[index]
                    (box.style, line.style, line.children[0].style),
                    laid.deepcopy(),
                    dict(next_page),
                )
        return result

    _rebind(block, "block_container_layout", original, block_container_layout)


# What a compiled selector (cssselect2) may read of an element for its answer to depend only
# on the element's tag and attributes and those of its ancestors: type, class, id and
# attribute selectors, descendant and child combinators, :root, :link, :not() and :is() of
# those. Sibling, structural (:first-child, :nth-*), :empty, :has() and :lang() selectors
# read other names (previous, index, etree_children, iter_subtree, lang, ...).
SHAPE_NAMES = frozenset(
    (
        "local_name",
        "namespace_url",
        "classes",
        "id",
        "attrib",
        "etree_element",
        "get",
        "tag",
        "in_html_document",
        "ancestors",
        "parent",
        "any",
        "next",
    )
)


def _names(code: Any) -> set[str]:
    """Every name a code object and the code objects in it read."""
    found = set(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            found |= _names(constant)
    return found


def _by_shape(matcher: Any) -> bool:
    """Whether every selector of a cssselect2 matcher reads only an element's shape."""
    groups = [
        *matcher.id_selectors.values(),
        *matcher.class_selectors.values(),
        *matcher.lower_local_name_selectors.values(),
        *matcher.namespace_selectors.values(),
        matcher.lang_attr_selectors,
        matcher.other_selectors,
    ]
    return all(_names(entry[0].__code__) <= SHAPE_NAMES for group in groups for entry in group)


def _shape_of(memo: Memo, element: Any) -> int:
    """The number of an element's shape in this render: its tag and attributes and its
    parent's shape (a cssselect2 element wrapper)."""
    found = memo.shapes.get(id(element))
    if found is not None and found[0] is element:
        return found[1]
    parent = element.parent
    etree = element.etree_element
    made_of = (
        -1 if parent is None else _shape_of(memo, parent),
        etree.tag,
        tuple(etree.attrib.items()),
    )
    number = memo.shape_numbers.setdefault(made_of, len(memo.shape_numbers))
    memo.shapes[id(element)] = (element, number)
    return number


def _judged_by_shape(memo: Memo, matcher: Any) -> bool:
    """``_by_shape(matcher)``, judged once per render."""
    judged = memo.matchers.get(id(matcher))
    if judged is None or judged[0] is not matcher:
        judged = memo.matchers[id(matcher)] = (matcher, _by_shape(matcher))
    return judged[1]


def _install_matching() -> None:
    """Match each distinct element against the stylesheets once per render.

    For every element WeasyPrint asks each stylesheet's matcher (cssselect2) which of its
    selectors match, testing them one by one. A ledger's cells differ only in their text:
    the same tag and class, under a row, a body and a table of the same tag and class. When
    no selector of a stylesheet reads more than tags and attributes up the ancestor chain
    (checked on the compiled selectors), two elements of the same shape (their own tag and
    attributes, and their parent's shape) match the same selectors, and the second gets
    the first one's answer. A stylesheet with any other selector is matched as before."""
    import cssselect2

    original = cssselect2.Matcher.match

    def match(self: Any, element: Any) -> Any:
        memo = CURRENT
        answers = memo.matching if memo is not None else None
        if answers is None:
            return original(self, element)
        if not _judged_by_shape(memo, self):  # type: ignore[arg-type]
            return original(self, element)
        key = (id(self), _shape_of(memo, element))  # type: ignore[arg-type]
        found = answers.get(key)
        if found is None:
            found = answers[key] = original(self, element)
        else:
            memo.matching_reused += 1  # type: ignore[union-attr]
        return found

    ORIGINALS["match"] = original
    cssselect2.Matcher.match = match


def _install_numbers() -> None:
    """Write each float once per render.

    pydyf writes every number of a page's operations and of the document's objects
    through ``_to_bytes`` (a float: ``f"{x:f}"`` without trailing zeros, or the integer).
    A ledger writes the same column positions, widths, colours and row heights thousands
    of times; within a render a float's bytes are kept. Anything else (integers, names,
    objects) is written by pydyf's own function, bytes and integers as it writes them."""
    import pydyf

    original = pydyf._to_bytes

    def _to_bytes(item: Any) -> bytes:
        kind = type(item)
        if kind is bytes:
            return item  # type: ignore[no-any-return]
        if kind is int:
            return str(item).encode("ascii")
        if kind is float:
            memo = CURRENT
            numbers = memo.numbers if memo is not None else None
            if numbers is not None:
                found = numbers.get(item)
                if found is None:
                    found = numbers[item] = original(item)
                return found
        return original(item)  # type: ignore[no-any-return]

    ORIGINALS["_to_bytes"] = original
    pydyf._to_bytes = _to_bytes


# The endings of what drawing a plain text box writes: colour and alpha, the text object,
# its font, matrix, glyphs and rise. A drawing that wrote anything else (an underline, an
# emoji image) is not replayed.
TEXT_WRITES = (b" rg", b" gs", b"BT", b" Tf", b" Tm", b" TJ", b" Ts", b"ET")


def _install_texts() -> None:
    """Draw a text box like one drawn before by writing what that one wrote.

    For every text box WeasyPrint sets the fill colour, opens a text object (or reopens
    the one just closed), sets the font, the text matrix at the box's position, writes the
    glyphs and closes the object. For a box whose fitted line (``lines``) and style were
    drawn before, with the same colour, alpha and fonts in force and the same kind of
    stream end (a text object just closed or not), those writes are the same but for the
    text matrix: they are replayed with this box's matrix, and the stream's state is left
    as that drawing left it. Only a drawing made of plain text writes is kept (no
    decoration, no emoji, nothing tagged); anything else goes WeasyPrint's own way."""
    from weasyprint.draw import text
    from weasyprint.matrix import Matrix

    original = text.draw_text

    def state_of(stream: Any) -> tuple[Any, ...]:
        return (
            stream._current_color,
            stream._current_alpha,
            stream._current_font,
            stream._old_font,
        )

    def draw_text(
        stream: Any, textbox: Any, offset_x: Any, text_overflow: Any, block_ellipsis: Any
    ) -> None:
        memo = CURRENT
        texts = memo.texts if memo is not None else None
        if (
            texts is None
            or stream._tags is not None
            or text_overflow == "ellipsis"
            or block_ellipsis != "none"
        ):
            original(stream, textbox, offset_x, text_overflow, block_ellipsis)
            return
        written = stream.stream
        after_text = bool(written) and written[-1] == b"ET"
        layout = textbox.pango_layout
        key = (id(layout), id(textbox.style), id(stream._fonts), after_text, *state_of(stream))
        found = texts.get(key)
        if found is not None and found[0] is layout:
            _, reopened, writes, at, state = found
            if reopened:
                written.pop()
            written.extend(writes[:at])
            y = textbox.position_y + textbox.baseline
            stream.set_text_matrix(*Matrix(d=-1, e=textbox.position_x, f=y).values)
            written.extend(writes[at + 1 :])
            (
                stream._current_color,
                stream._current_alpha,
                stream._current_font,
                stream._old_font,
            ) = state
            memo.texts_reused += 1  # type: ignore[union-attr]
            return
        start = len(written)
        if after_text:
            # An equal but distinct closing: whether the drawing reopened it shows.
            closing = written[-1] = bytes(bytearray(b"ET"))
        original(stream, textbox, offset_x, text_overflow, block_ellipsis)
        reopened = after_text and (len(written) < start or written[start - 1] is not closing)
        writes = written[start - 1 if reopened else start :]
        matrices = [i for i, item in enumerate(writes) if item.endswith(b" Tm")]
        if len(matrices) == 1 and all(
            isinstance(item, bytes) and item.endswith(TEXT_WRITES) for item in writes
        ):
            texts[key] = (layout, reopened, writes, matrices[0], state_of(stream))

    _rebind(text, "draw_text", original, draw_text)


def _install_walks() -> None:
    """List a box's descendants with one loop.

    WeasyPrint walks every page's boxes (bookmarks, anchors, footnotes) with
    ``Box.descendants``, a generator that starts a generator for every box below it: a
    ledger's cell text is handed up through four of them. The same boxes in the same order
    (a box, then each child's own descendants; a placeholder listed, or followed when
    asked for) come from one loop over a stack of the children still to visit. No box
    class of WeasyPrint's defines its own ``descendants`` (checked by the tests)."""
    from weasyprint.formatting_structure import boxes

    original = boxes.Box.descendants
    box_type = boxes.Box

    def descendants(self: Any, placeholders: bool = False) -> Iterator[Any]:
        counted = CURRENT.walks if CURRENT is not None else None
        if counted is None:
            yield from original(self, placeholders)
            return
        counted[0] += 1
        yield self
        stack = [iter(self.children)]
        while stack:
            for child in stack[-1]:
                if isinstance(child, box_type):
                    yield child
                    stack.append(iter(child.children))
                    break
                if placeholders:
                    yield from child.descendants(placeholders)
                else:
                    yield child
            else:
                stack.pop()

    ORIGINALS["descendants"] = original
    boxes.Box.descendants = descendants


def _install_flows() -> None:
    """Judge once per style whether a box is in normal flow.

    Layout, drawing and the stacking of every page ask each box many times whether it is
    in normal flow: not floated, absolutely positioned, running, a footnote or a note,
    five lookups in its style. All five are WeasyPrint's ``Box`` methods reading only the
    style (no box class defines its own, checked by the tests); within a render the answer
    is kept by style."""
    from weasyprint.formatting_structure import boxes

    original = boxes.Box.is_in_normal_flow

    def is_in_normal_flow(self: Any) -> bool:
        flows = CURRENT.flows if CURRENT is not None else None
        if flows is None:
            return original(self)  # type: ignore[no-any-return]
        style = self.style
        found = flows.get(id(style))
        if found is None or found[0] is not style:
            found = flows[id(style)] = (style, original(self))
        return found[1]

    ORIGINALS["is_in_normal_flow"] = original
    boxes.Box.is_in_normal_flow = is_in_normal_flow


def _install_cascade() -> None:
    """Give an element the computed style of a like element without cascading again.

    WeasyPrint's ``StyleFor`` walks the elements in tree order and, for each, gathers the
    declarations of every selector that matches it into a cascaded style, then looks for
    an equal computed style to share: one made for an element with the same parent style,
    the same ``style``/``lang``/``id`` declarations and the same matched selectors. When
    every stylesheet's selectors read only an element's shape (``matching``), an element
    with no attribute but ``class`` matches what the earlier element of its shape matched,
    so under the same parent style it gets that element's style: it is given it straight
    away, its cascade skipped (the cascaded styles are dropped after the walk anyway). An
    element whose selectors include a pseudo-element (its ``::before`` and the like are
    styled from its own cascade), an element with other attributes (they give declarations
    of their own) and a document with presentational hints go WeasyPrint's own way."""
    import cssselect2
    from weasyprint import css

    original_init = css.StyleFor.__init__
    original_subtree = cssselect2.ElementWrapper.iter_subtree

    def style_for_init(
        self: Any,
        html: Any,
        sheets: Any,
        presentational_hints: Any,
        font_config: Any,
        target_collector: Any,
    ) -> None:
        memo = CURRENT
        if memo is None or memo.cascade is None or memo.matching is None or presentational_hints:
            original_init(self, html, sheets, presentational_hints, font_config, target_collector)
            return
        memo.styling = (self, html.wrapper_element, sheets)
        try:
            original_init(self, html, sheets, presentational_hints, font_config, target_collector)
        finally:
            memo.styling = None

    def iter_subtree(self: Any) -> Iterator[Any]:
        memo = CURRENT
        styling = memo.styling if memo is not None else None
        if memo is None or styling is None or styling[1] is not self:
            yield from original_subtree(self)
            return
        memo.styling = None  # the cascade's own walk only
        lookup, _root, sheets = styling
        matchers = [sheet.matcher for sheet, _origin, _specificity in sheets]
        known, answers = memo.cascade, memo.matching
        if (
            known is None
            or answers is None
            or not all(_judged_by_shape(memo, matcher) for matcher in matchers)
        ):
            yield from original_subtree(self)
            return
        computed = lookup._computed_styles
        for element in original_subtree(self):
            etree = element.etree_element
            parent = element.parent
            if parent is None or type(etree.tag) is not str or not etree.attrib.keys() <= {"class"}:
                yield element
                continue
            shape = _shape_of(memo, element)
            key = (id(computed[parent.etree_element, None]), shape)
            found = known.get(key)
            if found is not None:
                computed[etree, None] = found
                memo.cascade_reused += 1
                continue
            yield element
            # The walk comes back here once WeasyPrint has styled the element.
            matched = [answers.get((id(matcher), shape)) for matcher in matchers]
            if all(
                found is not None and all(selector[2] is None for selector in found)
                for found in matched
            ):
                known[key] = computed[etree, None]

    css.StyleFor.__init__ = style_for_init
    cssselect2.ElementWrapper.iter_subtree = iter_subtree
    ORIGINALS["StyleFor.__init__"] = original_init
    ORIGINALS["iter_subtree"] = original_subtree


# A selector that is a bare element name (``style``, ``meta``): it tests the element alone.
BARE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def _install_queries() -> None:
    """Find the elements of a few tag names without wrapping every element.

    Before styling, WeasyPrint looks for ``style`` and ``link`` elements, and for the
    metadata for ``title``, ``meta`` and ``link`` (cssselect2's ``query_all``): each time
    it wraps every element of the document in tree order and tests it, thousands of
    table cells for a ledger. A bare element name tests the element alone, so a subtree
    holding no element of such a name (compared without case or namespace, and any
    comment or processing instruction counted as one) gives nothing: here it is skipped,
    and the elements left are wrapped and tested as cssselect2 does, in the same order.
    Any other selector goes cssselect2's own way."""
    import cssselect2

    original = cssselect2.ElementWrapper.query_all

    def query_all(self: Any, *selectors: Any) -> Any:
        counted = CURRENT.queries if CURRENT is not None else None
        if (
            counted is None
            or not selectors
            or not all(type(s) is str and BARE_NAME.fullmatch(s) for s in selectors)
        ):
            return original(self, *selectors)
        counted[0] += 1
        tests = self._compile(selectors)
        names = {selector.lower() for selector in selectors}
        holding: set[int] = set()

        def holds(element: Any) -> bool:
            tag = element.tag
            found = type(tag) is not str or tag in names or "}" in tag or not tag.islower()
            for child in element:
                if holds(child):
                    found = True
            if found:
                holding.add(id(element))
            return found

        def walk(wrapper: Any) -> Iterator[Any]:
            if any(test(wrapper) for test in tests):
                yield wrapper
            for child in wrapper.iter_children():
                if id(child.etree_element) in holding:
                    yield from walk(child)

        holds(self.etree_element)
        return walk(self)

    ORIGINALS["query_all"] = original
    cssselect2.ElementWrapper.query_all = query_all


def _install_cycles() -> None:
    """Note each layout context and laid-out table a render makes, for ``_let_go``.

    Two kinds of reference cycle keep what a render made alive after it: WeasyPrint's
    ``LayoutContext`` holds a partial function that holds the context (its image getter),
    and each laid-out table's columns hold a function that holds the table (their
    ``get_cells``). Everything reached from them (the styles of every element, every
    table's boxes: some fifty thousand objects for a 380-household ledger) outlives the
    render until the garbage collector traces all of it and finds it unreachable."""
    from weasyprint import layout
    from weasyprint.layout import table

    original_init = layout.LayoutContext.__init__
    original_table = table.table_layout

    def layout_context_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        made = CURRENT.cycles if CURRENT is not None else None
        if made is not None:
            made.append(self)

    def table_layout(*args: Any, **kwargs: Any) -> Any:
        result = original_table(*args, **kwargs)
        made = CURRENT.cycles if CURRENT is not None else None
        if made is not None and result[0] is not None:
            made.append(result[0])
        return result

    ORIGINALS["LayoutContext.__init__"] = original_init
    layout.LayoutContext.__init__ = layout_context_init
    _rebind(table, "table_layout", original_table, table_layout)


def _let_go(memo: Memo) -> None:
    """Break the cycles of a finished render (``_install_cycles``): the layout contexts'
    attributes and the laid-out tables' column functions are dropped, and reference
    counting frees what hung from them at once, leaving the collection after the render
    little to trace. Nothing reads them after the render: the PDF is written by then."""
    from weasyprint.formatting_structure import boxes

    _release_fonts(memo)
    for made in memo.cycles or ():
        if isinstance(made, boxes.TableBox):
            for group in made.column_groups:
                for column in group.children:
                    column.__dict__.pop("get_cells", None)
        else:
            made.__dict__.clear()


# What Pango may take for the end of a paragraph (and a little more, to be safe).
PARAGRAPH_BREAKS = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _install_paragraphs() -> None:
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
        counted = CURRENT.paragraphs if CURRENT is not None else None
        if counted is not None:
            single = PARAGRAPH_BREAKS.search(text) is None
            pango.pango_layout_set_single_paragraph_mode(self.layout, single)
            counted[0] += single
        original(self, text, justify)

    ORIGINALS["set_text"] = original
    line_break.Layout.set_text = set_text


@lru_cache(maxsize=1)
def _gobject_ref() -> Any:
    """GObject's ``g_object_ref`` through an FFI of its own (WeasyPrint's declares only
    the unref), or None where the library is not found by that name."""
    import cffi

    own = cffi.FFI()
    own.cdef("void * g_object_ref (void *object);")
    try:
        return own, own.dlopen("libgobject-2.0.so.0").g_object_ref
    except (OSError, AttributeError):
        return None


def _install_fonts() -> None:
    """Find the PDF font of a Pango font once per render.

    For every run of glyphs it draws, WeasyPrint asks the page's stream for the PDF font
    of the run's Pango font (``add_font``): it describes the Pango font, hashes the
    description and looks the hash up in the document's fonts. Within a render the same
    Pango font (the same object, held here so that its address is its own until the
    render ends) in the same document's fonts gets the same answer; it is kept."""
    from weasyprint.pdf import stream
    from weasyprint.text.ffi import ffi

    original = stream.Stream.add_font

    def add_font(self: Any, pango_font: Any) -> Any:
        memo = CURRENT
        fonts = memo.fonts if memo is not None else None
        referencing = _gobject_ref() if fonts is not None else None
        if referencing is None:
            return original(self, pango_font)
        address = int(ffi.cast("uintptr_t", pango_font))
        key = (id(self._fonts), address)
        found = fonts.get(key)  # type: ignore[union-attr]
        if found is not None and found[0] is self._fonts:
            return found[1]
        answer = original(self, pango_font)
        held = memo.held_fonts  # type: ignore[union-attr]
        if address not in held:
            own, reference = referencing
            held[address] = reference(own.cast("void *", address))
        fonts[key] = (self._fonts, answer)  # type: ignore[index]
        return answer

    ORIGINALS["add_font"] = original
    stream.Stream.add_font = add_font


def _release_fonts(memo: Memo) -> None:
    """Let go of the Pango fonts ``fonts`` held during the render."""
    from weasyprint.text.ffi import ffi, gobject

    for address in memo.held_fonts:
        gobject.g_object_unref(ffi.cast("void *", address))
    memo.held_fonts.clear()


def _install_glyphs() -> None:
    """Write a line's glyphs from Pango's glyph arrays read in one piece.

    To draw a line WeasyPrint walks its glyphs one by one through Pango's structures
    (five C field reads a glyph), building the glyph string a glyph at a time: the glyph
    id in hex, preceded by its offset and followed by its kerning when they are not zero,
    the glyph's width and Unicode text noted for the font the first time it is met. Here
    each run's glyph array and clusters are read at once and each distinct glyph (font,
    id, advance, offset) is written as WeasyPrint writes it and kept, so a glyph met again
    costs a dictionary lookup. Only lines of plain glyphs take this way: no ellipsis, no
    empty or missing glyph, no vertical offset, no bitmap or colour font (emoji); any
    other line, found before anything is written, is drawn by WeasyPrint."""
    import struct

    from weasyprint.draw import text
    from weasyprint.text.ffi import FROM_UNITS, ffi, pango

    original = text.draw_first_line
    layout_ok = (
        ffi.sizeof("PangoGlyphInfo") == 20 and ffi.offsetof("PangoGlyphInfo", "geometry") == 4
    )
    glyph_infos = struct.Struct("=I3i4x")
    special = pango.PANGO_GLYPH_EMPTY
    unknown = pango.PANGO_GLYPH_UNKNOWN_FLAG

    def runs_of(first_line: Any) -> list[Any]:
        """Each run's item, Pango font and glyphs (id, width, x and y offsets), or None
        when a glyph is not a plain one."""
        runs = []
        run = first_line.runs[0]
        while run != ffi.NULL:
            glyph_item = run.data
            run = run.next
            glyph_string = glyph_item.glyphs
            count = glyph_string.num_glyphs
            glyphs = (
                list(glyph_infos.iter_unpack(ffi.buffer(glyph_string.glyphs, 20 * count)))
                if count
                else []
            )
            for glyph_id, _width, _x, y in glyphs:
                if glyph_id == special or glyph_id & unknown or y:
                    return []
            clusters = ffi.unpack(glyph_string.log_clusters, count) if count else []
            runs.append((glyph_item.item, glyph_item.item.analysis.font, glyphs, clusters))
        return runs

    def draw_first_line(
        stream: Any, textbox: Any, text_overflow: Any, block_ellipsis: Any, matrix: Any
    ) -> Any:
        memo = CURRENT
        pieces = memo.glyphs if memo is not None else None
        if (
            pieces is None
            or not layout_ok
            or text_overflow == "ellipsis"
            or block_ellipsis != "none"
            or not textbox.text.strip()
            or textbox.style["font_size"] < 1e-6
        ):
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        layout = textbox.pango_layout
        pango.pango_layout_set_single_paragraph_mode(layout.layout, True)
        first_line, _index = layout.get_first_line()
        runs = runs_of(first_line)
        fonts = []
        for _item, pango_font, _glyphs, _clusters in runs:
            font, font_size = stream.add_font(pango_font)
            if font.bitmap or font.png or font.svg or font.colr or pango.pango_version() < 14802:
                runs = []
                break
            fonts.append((font, font_size))
        if not runs:
            return original(stream, textbox, text_overflow, block_ellipsis, matrix)
        memo.glyphs_written += 1  # type: ignore[union-attr]
        stream.set_text_matrix(*matrix.values)
        previous = None
        string = ""
        utf8_text = None
        for run, (font, font_size) in zip(runs, fonts, strict=True):
            item, pango_font, glyphs, clusters = run
            if pango_font != previous:
                previous = pango_font
                if string:
                    stream.show_text(string)
                string = ""
                stream.set_font_size(font.hash, font_size)
            to_unicode = font.to_unicode
            written = ["<"]
            count = len(glyphs)
            for i, (glyph_id, width, x_offset, _y) in enumerate(glyphs):
                if glyph_id not in to_unicode:
                    start = item.offset
                    if item.analysis.level % 2:
                        end = item.length if i == 0 else clusters[i - 1]
                    else:
                        end = item.length if i == count - 1 else clusters[i + 1]
                    utf8_text = utf8_text or layout.text.encode()
                    to_unicode[glyph_id] = utf8_text[start + clusters[i] : start + end].decode()
                key = (id(font), font_size, glyph_id, width, x_offset)
                found = pieces.get(key)
                if found is None or found[0] is not font:
                    offset = x_offset / font_size
                    piece = f">{-offset}<" if offset else ""
                    piece += f"{glyph_id:04x}"
                    if glyph_id in font.widths:
                        logical_width = font.widths[glyph_id]
                    else:
                        pango.pango_font_get_glyph_extents(
                            pango_font, glyph_id, stream.ink_rect, stream.logical_rect
                        )
                        logical_width = font.widths[glyph_id] = round(
                            stream.logical_rect.width * 1000 * FROM_UNITS / font_size
                        )
                    kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
                    if kerning:
                        piece += f">{int(kerning)}<"
                    found = pieces[key] = (font, piece)
                written.append(found[1])
            string += "".join(written)
            string = string[:-1] if string[-1] == "<" else string + ">"
        stream.show_text(string)
        return []

    _rebind(text, "draw_first_line", original, draw_first_line)
