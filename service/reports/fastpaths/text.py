"""Text drawn like text drawn before: the ``text`` and ``texts`` fast paths.

For every text box WeasyPrint writes the fill colour, a text object, the font, the text
matrix and the glyph string (``draw_text``, ``draw_first_line``). Boxes sharing one fitted
line (``lines``) write the same operations but for the text matrix: the first drawing's
operations, or its writes, are kept and replayed at the next box's position. Safe because
only drawings made of plain text writes (no decoration, emoji, ellipsis or tagging) are
kept, and a replay needs the same layout, style, colour, alpha and fonts in force.
"""

from __future__ import annotations

from typing import Any

from service.reports.fastpaths import state
from service.reports.fastpaths.lines import ellipsis_asked

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


def install_text() -> None:
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
        cache = state.CURRENT.text if state.CURRENT is not None else None
        if cache is None or ellipsis_asked(text_overflow, block_ellipsis):
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

    state.rebind(text, "draw_first_line", original, draw_first_line)


# The endings of what drawing a plain text box writes: colour and alpha, the text object,
# its font, matrix, glyphs and rise. A drawing that wrote anything else (an underline, an
# emoji image) is not replayed.
TEXT_WRITES = (b" rg", b" gs", b"BT", b" Tf", b" Tm", b" TJ", b" Ts", b"ET")


def install_texts() -> None:
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
        memo = state.CURRENT
        texts = memo.texts if memo is not None else None
        if (
            texts is None
            or stream._tags is not None
            or ellipsis_asked(text_overflow, block_ellipsis)
        ):
            original(stream, textbox, offset_x, text_overflow, block_ellipsis)
            return
        written = stream.stream
        after_text = bool(written) and written[-1] == b"ET"
        layout = textbox.pango_layout
        key = (id(layout), id(textbox.style), id(stream._fonts), after_text, *state_of(stream))
        found = texts.get(key)
        if found is not None and found[0] is layout:
            _, reopened, writes, at, left = found
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
            ) = left
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

    state.rebind(text, "draw_text", original, draw_text)
