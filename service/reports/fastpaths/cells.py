"""Table cells of one line of text laid out once per distinct cell: the ``cells`` fast
path.

WeasyPrint lays out every cell of a table (``block_container_layout``). A ledger's cells
repeat: a like cell (same styles, column, lengths and text, a single text box on the
baseline) gets a copy of the one laid out before, its vertical positions worked out from
its own top by WeasyPrint's own sums. Safe because only cells whose boxes carry nothing
beyond what the key holds are reused, and only where the line fits above the page's
bottom, the one place where a cell's position changes its layout.
"""

from __future__ import annotations

import operator
from typing import Any

from service.reports.fastpaths import state
from service.reports.fastpaths.layout import USED_LENGTHS

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


def install_cells() -> None:
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
        memo = state.CURRENT
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

    state.rebind(block, "block_container_layout", original, block_container_layout)
