"""Box layout judged once per style: the ``lengths``, ``struts``, ``floats``, ``walks``
and ``flows`` fast paths.

WeasyPrint resolves every box's used margins, paddings, sizes and border widths
(``resolve_percentages``), looks up its line height and baseline (``strut``), checks each
line box against the page's floats (``avoid_collisions``), lists descendants through a
generator per box (``Box.descendants``) and asks each box's style whether it is in normal
flow (``Box.is_in_normal_flow``), each time from scratch. Those answers depend only on the
style (and the containing block's size, for lengths): within a render the first answer is
kept, or, for floats and walks, the same answer is reached by a shorter way while the page
has no float and no box class has a ``descendants`` of its own (checked by the tests).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from service.reports.fastpaths import state

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


def install_lengths() -> None:
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
        cache = state.CURRENT.lengths if state.CURRENT is not None else None
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

    state.rebind(percent, "resolve_percentages", original, resolve_percentages)


def install_struts() -> None:
    """Look up a style's line height and baseline once per render.

    ``strut(style)`` depends on the style alone; WeasyPrint keeps the answer in the font
    configuration under a string it builds from the style's font properties on every
    call (for every line box). Within a render the answer is kept by style."""
    from weasyprint.text import line_break

    original = line_break.strut

    def strut(style: Any) -> Any:
        cache = state.CURRENT.struts if state.CURRENT is not None else None
        if cache is None:
            return original(style)
        found = cache.get(id(style))
        if found is None:
            found = cache[id(style)] = (style, original(style))
        return found[1]

    state.rebind(line_break, "strut", original, strut)


def install_floats() -> None:
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
        counted = state.CURRENT.floats if state.CURRENT is not None else None
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

    state.rebind(floats, "avoid_collisions", original, avoid_collisions)


def install_walks() -> None:
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
        counted = state.CURRENT.walks if state.CURRENT is not None else None
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

    state.ORIGINALS["descendants"] = original
    boxes.Box.descendants = descendants


def install_flows() -> None:
    """Judge once per style whether a box is in normal flow.

    Layout, drawing and the stacking of every page ask each box many times whether it is
    in normal flow: not floated, absolutely positioned, running, a footnote or a note,
    five lookups in its style. All five are WeasyPrint's ``Box`` methods reading only the
    style (no box class defines its own, checked by the tests); within a render the answer
    is kept by style."""
    from weasyprint.formatting_structure import boxes

    original = boxes.Box.is_in_normal_flow

    def is_in_normal_flow(self: Any) -> bool:
        flows = state.CURRENT.flows if state.CURRENT is not None else None
        if flows is None:
            return original(self)  # type: ignore[no-any-return]
        style = self.style
        found = flows.get(id(style))
        if found is None or found[0] is not style:
            found = flows[id(style)] = (style, original(self))
        return found[1]

    state.ORIGINALS["is_in_normal_flow"] = original
    boxes.Box.is_in_normal_flow = is_in_normal_flow
