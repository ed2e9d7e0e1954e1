"""What the fast paths share: the memo of one render and WeasyPrint's originals.

Each fast path (the other modules of this package) reads ``CURRENT``, the ``Memo`` of the
render under way, through this module (``state.CURRENT``, never a copy of the name: the
package's ``rendering()`` sets it for each render and clears it after), and does exactly
what WeasyPrint does while it is None. ``rebind`` points every WeasyPrint module that
imported a patched function by name at the fast path, so that no caller is missed.
"""

from __future__ import annotations

import sys
from typing import Any

# What drawing a text box wrote: its layout, whether it reopened the text object just
# closed, the writes, where the text matrix is in them, the stream state it left.
TextWrites = tuple[Any, bool, list[Any], int, tuple[Any, ...]]


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


def rebind(origin: Any, name: str, original: Any, replacement: Any) -> None:
    """Point ``origin.name``, and every loaded WeasyPrint module that imported it by name,
    at ``replacement``."""
    ORIGINALS.setdefault(name, original)
    for key, module in list(sys.modules.items()):
        if key.startswith("weasyprint.") and getattr(module, name, None) is original:
            setattr(module, name, replacement)
