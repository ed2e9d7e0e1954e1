"""Backgrounds and borders of plain boxes: the ``backgrounds`` and ``borders`` fast paths.

After layout WeasyPrint visits every box to resolve its corner radii and background
layers (``layout_box_backgrounds``), and before drawing a border it judges all four sides
of it (``draw_border``). Most boxes of a document have no background and square corners,
and the grid cells one plain solid border: their style is judged once per render, and
such a box gets exactly what WeasyPrint gives it (no background; the two rectangles of an
even-odd fill, the writes around them as the first such border wrote them). Safe because
any style that is not plain, and any page box, goes WeasyPrint's own way.
"""

from __future__ import annotations

from typing import Any

from service.reports.fastpaths import state

CORNERS = ("top_left", "top_right", "bottom_right", "bottom_left")
RADII = tuple(f"border_{corner}_radius" for corner in CORNERS)


def install_backgrounds() -> None:
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
        cache = state.CURRENT.backgrounds if state.CURRENT is not None else None
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

    state.rebind(background, "layout_box_backgrounds", original, layout_box_backgrounds)


def install_borders() -> None:
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
        cache = state.CURRENT.borders if state.CURRENT is not None else None
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
        writes = state.CURRENT.border_writes if state.CURRENT is not None else None
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

    state.rebind(border, "draw_border", original, draw_border)
