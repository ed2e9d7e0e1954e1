"""The PDF font of a Pango font looked up once per render: the ``fonts`` fast path.

WeasyPrint's ``Stream.add_font`` describes the Pango font of every run of glyphs, hashes
the description and looks it up among the document's fonts. Here the answer is kept by
the Pango font's address; safe because the font object is held (a GObject reference)
until the render ends, so its address cannot be another font's within the render.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from service.reports.fastpaths import state
from service.reports.fastpaths.state import Memo


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


def install_fonts() -> None:
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
        memo = state.CURRENT
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

    state.ORIGINALS["add_font"] = original
    stream.Stream.add_font = add_font


def release_fonts(memo: Memo) -> None:
    """Let go of the Pango fonts ``fonts`` held during the render."""
    from weasyprint.text.ffi import ffi, gobject

    for address in memo.held_fonts:
        gobject.g_object_unref(ffi.cast("void *", address))
    memo.held_fonts.clear()
