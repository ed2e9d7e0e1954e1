"""A line's glyphs written from Pango's glyph arrays: the ``glyphs`` fast path.

WeasyPrint's ``draw_first_line`` walks a line's glyphs one by one through Pango's
structures, building the glyph string a glyph at a time. Here each run's glyphs are read
at once and each distinct glyph is written once, as WeasyPrint writes it. Safe because
only lines of plain glyphs (no ellipsis, empty or missing glyph, vertical offset, bitmap
or colour font) take this way, and any other line is found before anything is written.
"""

from __future__ import annotations

from typing import Any

from service.reports.fastpaths import state
from service.reports.fastpaths.lines import ellipsis_asked


def install_glyphs() -> None:
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
        memo = state.CURRENT
        pieces = memo.glyphs if memo is not None else None
        if (
            pieces is None
            or not layout_ok
            or ellipsis_asked(text_overflow, block_ellipsis)
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

    state.rebind(text, "draw_first_line", original, draw_first_line)
