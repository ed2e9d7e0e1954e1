"""PDF rendering: Jinja templates under ``templates/documents/`` turned into A4 PDFs by
WeasyPrint, with a CJK font on the body and on the page-number margin boxes.

WeasyPrint is synchronous, CPU-bound and not thread-safe (STACK-NOTES "WeasyPrint and
Chinese"): ``render_pdf`` runs it in a worker thread, never on the event loop, and one
render at a time (a capacity limiter of one, and a lock for callers outside the loop).
A batch (every statement of a district) renders in a process pool instead
(``service.reports.publish``).

What makes a document fast and small (issue 14, numbers in docs/benchmarks.md):
- the Jinja environment, the parsed stylesheet and WeasyPrint's font configuration are
  made once per process and reused by every document;
- the stylesheet sets one face of one family (Noto Sans CJK SC, regular), so a document
  embeds one subsetted font;
- Noto CJK is a CID-keyed CFF font. WeasyPrint subsets it keeping every glyph id below
  the highest one used (``RETAIN_GIDS``), which leaves ~60,000 empty glyphs and about
  170 KB in each embedded face. Because the font is CID-keyed, the PDF can carry the bare
  CFF program instead (``/FontFile3 /Subtype /CIDFontType0C``, PDF 32000-1 9.9), where a
  viewer finds each glyph by its CID through the font's charset: the subset then keeps
  only the glyphs used. ``_subset_cid_keyed`` does this, and checks that every kept
  glyph's CID is the glyph id the page content uses; any other font goes WeasyPrint's
  own way;
- the templates' HTML is parsed by the C XML parser (``xml_tree``) where it gives the
  tree WeasyPrint's pure-Python HTML5 parser would (else that parser runs);
- within a render, what WeasyPrint works out for one cell is reused for a like cell:
  the fitted text, the used lengths, the line height, the border, the glyph string
  (``service.reports.fastpaths``; a ledger repeats ``0.00`` hundreds of times);
- the garbage collector is off during a render, and collects once after it (what the
  render made is freed as it ends, its reference cycles broken: ``fastpaths``);
- the file of the font face is copied out of HarfBuzz once per process
  (``_install_font_files``), not 16 MB per document;
- the stylesheet avoids what WeasyPrint measures or draws slowly: collapsed borders
  (separate four-sided cell borders instead), margin boxes and small tables without
  widths (min/max-content of Chinese text).
Monkey-patches of WeasyPrint (each small, installed once, covered by
tests/reports/test_render.py): ``_install_subsetting`` here, and ``fastpaths``.
"""

from __future__ import annotations

import io
import logging
import re
import shutil
import subprocess
import threading
from functools import lru_cache, partial
from typing import Any
from xml.etree import ElementTree

import anyio
import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service import collector
from service.clock import now
from service.config import PROJECT_ROOT
from service.registry.rules import mask_name
from service.reports import fastpaths
from service.units import format_grouped

logger = logging.getLogger("changxiao")

TEMPLATES_DIR = PROJECT_ROOT / "templates"
DOCUMENTS_DIR = TEMPLATES_DIR / "documents"
# The font stack (Noto CJK, then WenQuanYi) lives in this one stylesheet, on the body
# and on every @page margin box.
STYLESHEET = DOCUMENTS_DIR / "document.css"
# The user-agent stylesheet: what the documents' elements need of WeasyPrint's HTML5 one.
UA_STYLESHEET = DOCUMENTS_DIR / "ua.css"

# What a fresh Debian machine needs for readable, fast PDFs (README, Makefile, .ci/run).
FONT_PACKAGE = "fonts-noto-cjk"
SUBSET_PACKAGE = "libharfbuzz-subset0"
INSTALL_COMMAND = f"apt-get install {FONT_PACKAGE} {SUBSET_PACKAGE}"

DROPPED_TABLES = (
    b"BASE",
    b"DSIG",
    b"EBDT",
    b"EBLC",
    b"EBSC",
    b"GDEF",
    b"GPOS",
    b"GSUB",
    b"JSTF",
    b"LTSH",
    b"PCLT",
    b"SVG ",
    b"VORG",
    b"vhea",
    b"vmtx",
)

_LIMITER = anyio.CapacityLimiter(1)
_WEASYPRINT = threading.Lock()


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of the documents (autoescaped, undefined names are errors).

    Amounts and areas print with thousands separators (``yuan``, ``area``); ``mask``
    shows an owner's name as published to neighbours (张*明)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.filters["yuan"] = format_grouped
    env.filters["area"] = format_grouped
    env.filters["mask"] = mask_name
    env.filters["grouped"] = group_amount
    return env


def group_amount(amount: str) -> str:
    """An API amount (``"-1234.50"``) as documents print it (``"-1,234.50"``)."""
    sign = "-" if amount.startswith("-") else ""
    whole, _, cents = amount.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}.{cents or '00'}"


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """The document's HTML (also handy for looking at a document without a PDF);
    ``generated_at`` defaults to now in the district's zone."""
    values = {"generated_at": now().strftime("%Y-%m-%d %H:%M"), **context}
    return environment().get_template(template_name).render(**values)


class NotdefFilter(logging.Filter):
    """Keeps WeasyPrint's ``.notdef`` flood (one warning per string no font covers, and
    "Too many glyphs missing" once a font runs out of spare glyph ids) out of the log:
    the first one becomes a single warning naming the package to install, the rest are
    dropped."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        if ".notdef" not in message and "glyphs missing" not in message:
            return True
        self.seen += 1
        if self.seen > 1:
            return False
        record.msg = (
            "PDF text has characters that no installed font covers (shown as boxes); "
            "install the CJK font (%s) and restart; further such warnings are suppressed"
        )
        record.args = (INSTALL_COMMAND,)
        return True


NOTDEF_FILTER = NotdefFilter()


def install_log_filter() -> None:
    """Attach the ``.notdef`` filter to WeasyPrint's logger (once)."""
    weasy = logging.getLogger("weasyprint")
    if NOTDEF_FILTER not in weasy.filters:
        weasy.addFilter(NOTDEF_FILTER)


def _subset_cid_keyed(font: Any, to_unicode: dict[int, str], hinting: bool) -> bool:
    """Subset a CID-keyed CFF font to exactly the glyphs used, as a bare CFF program
    (see the module's docstring). False (and the font untouched) for any other font,
    or when a kept glyph's CID is not the glyph id the content stream uses."""
    from fontTools.cffLib import CFFFontSet
    from fontTools.ttLib import TTFont
    from weasyprint.pdf.fonts import get_hb_object_data
    from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

    if harfbuzz_subset is None:
        return False
    kept = sorted({0, *to_unicode})
    subset_input = ffi.gc(
        harfbuzz_subset.hb_subset_input_create_or_fail(),
        harfbuzz_subset.hb_subset_input_destroy,
    )
    glyphs = harfbuzz_subset.hb_subset_input_glyph_set(subset_input)
    wanted = ffi.new(f"hb_codepoint_t[{len(kept)}]", kept)
    harfbuzz.hb_set_add_sorted_array(glyphs, wanted, len(kept))
    flags = (
        harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
        | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE
    )
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    if font.missing:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
    harfbuzz_subset.hb_subset_input_set_flags(subset_input, flags)
    # The layout tables are of no use in a PDF, and following them would keep glyphs
    # the page does not show (WeasyPrint drops the same ones).
    dropped = harfbuzz_subset.hb_subset_input_set(
        subset_input, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG
    )
    tags = [harfbuzz.hb_tag_from_string(tag, -1) for tag in DROPPED_TABLES]
    harfbuzz.hb_set_add_sorted_array(
        dropped, ffi.new(f"hb_codepoint_t[{len(tags)}]", sorted(tags)), len(tags)
    )
    face = harfbuzz_subset.hb_subset_or_fail(font.hb_face, subset_input)
    if not face:
        return False
    face = ffi.gc(face, harfbuzz.hb_face_destroy)
    data = get_hb_object_data(face)
    if not data or data[:4] != b"OTTO":  # TrueType outlines: WeasyPrint's own way
        return False
    try:
        cff = bytes(TTFont(io.BytesIO(data)).reader["CFF "])
        program = CFFFontSet()
        program.decompile(io.BytesIO(cff), None)
        top = program.topDictIndex[0]
        if not hasattr(top, "ROS"):
            return False
        charset = list(top.charset)
    except Exception:
        return False
    # The page content names each glyph by its original id: it must be that glyph's CID.
    if not {f"cid{gid:05d}" for gid in kept[1:]} <= set(charset):
        return False
    font.file_content = cff
    font.changxiao_bare_cff = True
    return True


@lru_cache(maxsize=1)
def _install_subsetting() -> bool:
    """Route WeasyPrint's HarfBuzz subsetting of CID-keyed fonts through
    ``_subset_cid_keyed`` (once per process)."""
    from weasyprint.pdf import fonts

    original_subset = fonts.Font._harfbuzz_subset
    original_type = fonts.Font.type

    def harfbuzz_subset(self: Any, to_unicode: dict[int, str], hinting: bool) -> None:
        if not _subset_cid_keyed(self, to_unicode, hinting):
            original_subset(self, to_unicode, hinting)

    def font_type(self: Any) -> str:
        # A bare CFF program is embedded as FontFile3 with a CIDFontType0 descendant.
        if getattr(self, "changxiao_bare_cff", False):
            return "otf"
        return str(original_type.fget(self))

    fonts.Font._harfbuzz_subset = harfbuzz_subset
    fonts.Font.type = property(font_type)
    return True


# The whole file of each font face a document's font came from, by the face's address
# (the face kept referenced, so that the address stays that face's).
_FONT_FILES: dict[int, tuple[Any, bytes]] = {}


@lru_cache(maxsize=1)
def _install_font_files() -> bool:
    """Copy a font face's file out of HarfBuzz once per process (once installed).

    For every font a document uses WeasyPrint copies the whole file of its face into a
    new bytes object (``Font.__init__``), 16 MB for the CJK face, before subsetting
    replaces it: some 4,000 fresh pages to fault in and copy, per document. A face Pango
    hands out for a font is never changed; its file is copied once and the same bytes
    given to every document (a face kept referenced keeps its address). Any other face
    (a subset HarfBuzz just made) is copied as WeasyPrint copies it."""
    from weasyprint.pdf import fonts
    from weasyprint.text.ffi import ffi, harfbuzz

    original_data = fonts.get_hb_object_data
    original_face = fonts.get_pango_font_hb_face

    def get_pango_font_hb_face(pango_font: Any) -> Any:
        face = original_face(pango_font)
        address = int(ffi.cast("uintptr_t", face))
        if address not in _FONT_FILES:
            data = original_data(face)
            if data is not None:
                _FONT_FILES[address] = (harfbuzz.hb_face_reference(face), data)
        return face

    def get_hb_object_data(hb_object: Any, ot_color: Any = None, glyph: Any = None) -> Any:
        if ot_color is None and glyph is None:
            found = _FONT_FILES.get(int(ffi.cast("uintptr_t", hb_object)))
            if found is not None:
                return found[1]
        return original_data(hb_object, ot_color, glyph)

    fonts.get_pango_font_hb_face = get_pango_font_hb_face
    fonts.get_hb_object_data = get_hb_object_data
    return True


def _bare_cff_finisher(_document: Any, pdf: Any) -> None:
    """Name a bare CFF program's stream ``/CIDFontType0C`` (WeasyPrint wrote
    ``/OpenType``, right for the OpenType files it embeds otherwise)."""
    import pydyf

    for item in pdf.objects:
        if not isinstance(item, pydyf.Stream) or item.extra.get("Subtype") != "/OpenType":
            continue
        head = item.stream[0] if item.stream else b""
        if isinstance(head, bytes) and head[:2] == b"\x01\x00":  # CFF 1.0, not "OTTO"
            item.extra["Subtype"] = "/CIDFontType0C"


# HTML's void elements, written ``<br>`` in the templates and ``<br/>`` for XML.
_VOID = re.compile(
    r"<(area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)\b([^>]*?)/?>"
)
_DOCTYPE = re.compile(r"\A\s*<!DOCTYPE[^>]*>", re.IGNORECASE)
# The attributes WeasyPrint's HTML.__init__ sets (checked against this version).
_HTML_FIELDS = ("base_url", "url_fetcher", "media_type", "wrapper_element", "etree_element")


def _html_fields_known() -> bool:
    """True when WeasyPrint's HTML sets exactly the fields ``DocumentHTML`` sets."""
    from weasyprint import HTML

    document = HTML(string="<html><body></body></html>")
    return set(vars(document)) == set(_HTML_FIELDS)


def xml_tree(html: str) -> Any:
    """The document's element tree by the C XML parser, or None to use WeasyPrint's
    HTML5 parser (pure Python, a tenth of a statement's time).

    The templates write well-formed markup apart from HTML's void elements, which are
    closed here. Where the HTML5 parser would build a different tree than the markup
    says (anything not well-formed, or a ``tr`` straight in a ``table``, where HTML5
    adds the ``tbody``), the tree is None or is given the same ``tbody``."""
    try:
        root = ElementTree.fromstring(_VOID.sub(r"<\1\2/>", _DOCTYPE.sub("", html, count=1)))
    except ElementTree.ParseError:
        return None
    if root.tag != "html" or [child.tag for child in root] != ["head", "body"]:
        return None
    for table in root.iter("table"):
        rows = [child for child in table if child.tag == "tr"]
        if not rows:
            continue
        if len(rows) != len(table) - sum(1 for c in table if c.tag in ("caption", "colgroup")):
            return None  # rows beside row groups: leave it to the HTML5 parser
        body = ElementTree.Element("tbody")
        first = list(table).index(rows[0])
        for row in rows:
            table.remove(row)
            body.append(row)
        table.insert(first, body)
    return root


@lru_cache(maxsize=1)
def _weasyprint() -> tuple[Any, Any, Any]:
    """The process's font configuration, parsed stylesheet and document class (HTML
    with the documents' own user-agent stylesheet), made once and reused."""
    import cssselect2
    from weasyprint import CSS, HTML, URLFetcher, _find_base_url
    from weasyprint.text.fonts import FontConfiguration

    install_log_filter()
    _install_subsetting()
    _install_font_files()
    fastpaths.install()
    fonts = FontConfiguration()
    user_agent = CSS(filename=str(UA_STYLESHEET), font_config=fonts)
    fields_known = _html_fields_known()

    class DocumentHTML(HTML):  # type: ignore[misc]
        def __init__(self, string: str, base_url: str) -> None:
            root = xml_tree(string)
            if root is None or not fields_known:
                super().__init__(string=string, base_url=base_url)
                return
            # What HTML.__init__ sets, with the tree from the XML parser.
            self.base_url = _find_base_url(root, base_url)
            self.url_fetcher = URLFetcher()
            self.media_type = "print"
            self.wrapper_element = cssselect2.ElementWrapper.from_html_root(
                root, content_language=None
            )
            self.etree_element = self.wrapper_element.etree_element

        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [user_agent]

    # WeasyPrint's own sheet if a later version no longer asks this method for it.
    document_class = DocumentHTML if hasattr(HTML, "_ua_stylesheets") else HTML
    return fonts, CSS(filename=str(STYLESHEET), font_config=fonts), document_class


def _roomy() -> Any:
    """A function that calls ``function()`` from a frame of some 64 KiB.

    CPython 3.11 keeps Python frames on a stack of 16 KiB chunks, maps a new chunk when a
    call does not fit in the current one and unmaps it when that call returns. A render
    goes down and up some fifty frames for every table cell; where a chunk's end falls in
    that stretch, every cell maps and unmaps a chunk and the first write to it faults a
    page in (in the statements' pool workers: some 5,000 maps a statement, a sixth of a
    worker's time in the kernel, docs/benchmarks.md). A frame just over 64 KiB gets a
    chunk of 128 KiB to itself, and the render's frames fit in the rest of it: one map
    per render. The frame's size comes from its number of local variables (never set)."""
    names = " = ".join(f"_{i}" for i in range(ROOMY_LOCALS))
    source = f"def roomy(function):\n    if False:\n        {names} = None\n    return function()\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, "<render: roomy frame>", "exec"), namespace)
    return namespace["roomy"]


# Local variables of the roomy frame: 8 bytes each, a little over 64 KiB in all.
ROOMY_LOCALS = 8200
_ROOMY = _roomy()


def write_pdf(html: str) -> bytes:
    """HTML of a document → PDF bytes, in the calling thread (one at a time)."""
    return _write_pdf(html)


def _write_pdf(html: str) -> bytes:
    with _WEASYPRINT:
        fonts, stylesheet, document_class = _weasyprint()
        document = document_class(string=html, base_url=str(DOCUMENTS_DIR))
        # A render makes some hundred thousand objects that live until it ends: the
        # collector, left on, walks them again and again (a tenth of a statement's
        # time). Off during the render, then one pass over what the render made
        # (all of it still in the youngest generation).
        with collector.paused(), fastpaths.rendering():
            write = partial(
                document.write_pdf,
                stylesheets=[stylesheet],
                font_config=fonts,
                finisher=_bare_cff_finisher,
            )
            pdf = _ROOMY(write)
    assert pdf is not None
    return bytes(pdf)


def render_pdf_sync(template_name: str, context: dict[str, Any]) -> bytes:
    """Render a document to PDF bytes in the calling thread (CLI and jobs only)."""
    return _write_pdf(render_html(template_name, context))


async def render_pdf(template_name: str, context: dict[str, Any]) -> bytes:
    """Render ``templates/<template_name>`` with ``context`` to an A4 PDF.

    The template and WeasyPrint both run in a worker thread, one document at a time,
    so the event loop keeps serving while a statement renders.
    """
    return await anyio.to_thread.run_sync(render_pdf_sync, template_name, context, limiter=_LIMITER)


async def render_pdf_html(html: str) -> bytes:
    """A document's finished HTML to PDF, in a worker thread, one at a time."""
    return await anyio.to_thread.run_sync(_write_pdf, html, limiter=_LIMITER)


def cjk_fonts_installed() -> bool:
    """True when fontconfig knows a font covering Chinese (else PDFs show boxes)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def harfbuzz_subset_loaded() -> bool:
    """True when WeasyPrint found HarfBuzz's subsetter when it was imported (it looks
    only then: installing the library later needs a restart)."""
    from weasyprint.text.ffi import harfbuzz_subset

    return harfbuzz_subset is not None


def font_problems() -> list[str]:
    """What stands between this process and readable, fast PDFs, one sentence each
    naming the Debian package (empty when all is well)."""
    problems = []
    if not cjk_fonts_installed():
        problems.append(
            f"no CJK font installed: every Chinese character in PDFs is a box"
            f" (install {FONT_PACKAGE})"
        )
    if not harfbuzz_subset_loaded():
        problems.append(
            f"HarfBuzz subsetting not loaded: each PDF takes seconds instead of a fraction"
            f" of one (install {SUBSET_PACKAGE})"
        )
    if problems:
        problems.append(f"run: {INSTALL_COMMAND}, then restart changxiao (WeasyPrint looks once)")
    return problems
