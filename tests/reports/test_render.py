"""The rendering infrastructure: WeasyPrint runs off the event loop, one document at a
time; templates are autoescaped; a CJK font is known to fontconfig."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from service.reports import fastpaths, render
from tests.support import content_streams, render_noting_memo


def test_a_cjk_font_is_installed() -> None:
    assert render.cjk_fonts_installed(), "apt-get install fonts-noto-cjk"


def test_templates_escape_what_they_show() -> None:
    html = render.render_html("documents/base.html", {"generated_at": "<b>now</b>"})
    assert "&lt;b&gt;now&lt;/b&gt;" in html
    assert "<b>now</b>" not in html


def test_money_and_area_filters_show_two_decimals_and_thousands() -> None:
    env = render.environment()
    text = "{{ 123450|yuan }} {{ -5|yuan }} {{ 8640|area }} {{ 123456789|yuan }} {{ 0|yuan }}"
    assert env.from_string(text).render() == "1,234.50 -0.05 86.40 1,234,567.89 0.00"


def test_published_names_are_masked() -> None:
    env = render.environment()
    assert env.from_string("{{ '张小明'|mask }} {{ '欧阳小明'|mask }}").render() == "张*明 欧**明"


async def test_renders_run_off_the_event_loop_one_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    active = 0
    most = 0
    loop_threads: set[int] = set()
    guard = threading.Lock()

    def slow_write(html: str) -> bytes:
        nonlocal active, most
        loop_threads.add(threading.get_ident())
        with guard:
            active += 1
            most = max(most, active)
        time.sleep(0.05)
        with guard:
            active -= 1
        return b"%PDF-fake"

    monkeypatch.setattr(render, "_write_pdf", slow_write)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    beat = asyncio.create_task(ticker())
    context: dict[str, Any] = {}
    results = await asyncio.gather(
        *(render.render_pdf("documents/base.html", context) for _ in range(4))
    )
    beat.cancel()
    assert results == [b"%PDF-fake"] * 4
    assert most == 1  # never two WeasyPrint runs at once
    assert threading.get_ident() not in loop_threads  # never on the loop's thread
    assert ticks >= 10  # the loop kept running while the documents rendered


async def test_a_real_render_produces_an_a4_pdf(tmp_path: Path) -> None:
    pdf = await render.render_pdf("documents/base.html", {})
    assert pdf.startswith(b"%PDF-")
    path = tmp_path / "base.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Page size:       595.276 x 841.89" in info  # A4 portrait, in points


def test_a_flood_of_notdef_warnings_reaches_the_log_once_naming_the_font_package(
    caplog: pytest.LogCaptureFixture,
) -> None:
    render.install_log_filter()
    render.install_log_filter()  # idempotent: one filter, not two
    render.NOTDEF_FILTER.seen = 0
    caplog.set_level(logging.WARNING)
    # Private-use characters: no installed font has a glyph for them.
    for _ in range(2):
        pdf = render.write_pdf("<p>" + "".join(chr(0xE000 + i) for i in range(40)) + "</p>")
        assert pdf.startswith(b"%PDF-")
    notdef = [r for r in caplog.records if r.name.startswith("weasyprint")]
    assert len(notdef) == 1, [r.getMessage() for r in notdef]
    assert "fonts-noto-cjk" in notdef[0].getMessage()
    assert ".notdef" not in caplog.text


def test_other_weasyprint_warnings_pass_the_filter(caplog: pytest.LogCaptureFixture) -> None:
    render.install_log_filter()
    caplog.set_level(logging.WARNING)
    logging.getLogger("weasyprint").warning("Ignored `foo: bar` at 1:1, unknown property.")
    assert "unknown property" in caplog.text


def test_the_start_up_check_names_both_packages_and_the_restart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert render.font_problems() == []  # this machine has both
    monkeypatch.setattr(render, "cjk_fonts_installed", lambda: False)
    monkeypatch.setattr(render, "harfbuzz_subset_loaded", lambda: False)
    said = " ".join(render.font_problems())
    assert "fonts-noto-cjk" in said and "libharfbuzz-subset0" in said
    assert "apt-get install fonts-noto-cjk libharfbuzz-subset0" in said
    assert "restart" in said


def test_one_cjk_font_is_embedded_as_a_bare_cid_keyed_cff_subset(tmp_path: Path) -> None:
    """One face of one family, only the glyphs used: small, and every glyph found by CID
    (the text extracts and the page shows Chinese, not boxes)."""
    html = render.render_html("documents/base.html", {"generated_at": "2026-12-02 08:00"}).replace(
        "<h1>", "<h1>住宅专项维修资金 <strong>粗体</strong> 1,234.50"
    )
    pdf = render.write_pdf(html)
    path = tmp_path / "one.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert len(rows) == 1, fonts
    assert "Noto-Sans-CJK-SC" in rows[0] and "CID Type 0C" in rows[0], fonts
    assert len(pdf) < 40_000, len(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "住宅专项维修资金" in text and "1,234.50" in text


def _tags(root: Any) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    return [(element.tag, tuple(sorted(element.attrib.items()))) for element in root.iter()]


def test_the_xml_parser_builds_the_html5_parsers_tree_for_the_templates() -> None:
    """The fast path (C XML parser) gives the tree WeasyPrint's HTML5 parser gives,
    ``tbody`` added where HTML5 adds it; anything else is left to the HTML5 parser."""
    import tinyhtml5

    html = render.render_html("documents/base.html", {"generated_at": "2026-12-02 08:00"}).replace(
        "<h1>",
        '<table class="meta"><tr><th>甲</th><td>1,234.50<br>注</td></tr></table>'
        '<table class="grid"><colgroup><col style="width: 20%"><col></colgroup>'
        "<thead><tr><th>乙</th><th>丙</th></tr></thead><tbody><tr><td>1</td><td>2</td></tr>"
        "</tbody></table><h1>",
    )
    fast = render.xml_tree(html)
    assert fast is not None
    slow = tinyhtml5.parse(html, namespace_html_elements=False)
    assert _tags(fast) == _tags(slow)
    # Whitespace aside (HTML5 drops it around head and body; it collapses anyway).
    assert "".join(fast.itertext()).split() == "".join(slow.itertext()).split()
    # Not well-formed, or rows beside a row group: the HTML5 parser's job.
    assert render.xml_tree(html.replace("<td>1</td>", "<td>1<p>x</td>")) is None
    assert render.xml_tree(html.replace("</tbody>", "</tbody><tr><td>3</td></tr>")) is None
    assert render.xml_tree("<p>no html element</p>") is None


def test_the_fund_statement_parses_as_xml_to_the_html5_tree(
    tmp_path: Path,
) -> None:
    """The statement template stays on the fast path, with the same tree and PDF text as
    through WeasyPrint's own parser."""
    import tinyhtml5
    from weasyprint import HTML

    html = (Path(__file__).parent / "statement_sample.html").read_text(encoding="utf-8")
    fast = render.xml_tree(html)
    assert fast is not None
    slow = tinyhtml5.parse(html, namespace_html_elements=False)
    assert _tags(fast) == _tags(slow)
    fonts, stylesheet, document_class = render._weasyprint()
    assert document_class is not HTML

    def text_of(document: Any) -> str:
        path = tmp_path / "s.pdf"
        path.write_bytes(
            document.write_pdf(
                stylesheets=[stylesheet], font_config=fonts, finisher=render._bare_cff_finisher
            )
        )
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True
        ).stdout

    class Parsed(document_class):  # type: ignore[misc, valid-type]
        """The same document class, its tree from WeasyPrint's HTML5 parser."""

        def __init__(self, string: str, base_url: str) -> None:
            HTML.__init__(self, string=string, base_url=base_url)

    base = str(render.DOCUMENTS_DIR)
    assert text_of(document_class(string=html, base_url=base)) == text_of(
        Parsed(string=html, base_url=base)
    )


@pytest.mark.parametrize("kept", [*sorted(fastpaths.ALL), "all"])
def test_each_fast_path_gives_the_pdf_weasyprint_gives_and_is_used(kept: str) -> None:
    """A render with a fast path (``service.reports.fastpaths``) writes exactly the page
    contents and font a render without any writes, and the fast path was taken (a
    WeasyPrint upgrade that stops calling a patched function fails here)."""
    html = (Path(__file__).parent / "statement_sample.html").read_text(encoding="utf-8")
    plain, _ = render_noting_memo(html, frozenset())
    enabled = (
        fastpaths.ALL
        if kept == "all"
        else frozenset({kept}) | fastpaths.NEEDS.get(kept, frozenset())
    )
    fast, memo = render_noting_memo(html, enabled)
    assert fastpaths.state.CURRENT is None  # nothing outlives the render
    streams = content_streams(fast)
    assert len(streams) >= 5 and streams == content_streams(plain)
    for name in enabled:
        assert memo.taken(name), f"the {name} fast path was never taken"


def test_fast_paths_reach_every_caller_and_resolve_every_length() -> None:
    """Each patched WeasyPrint function is replaced wherever WeasyPrint imported it, and
    ``USED_LENGTHS`` is every attribute WeasyPrint's ``resolve_percentages`` sets."""
    import sys

    from weasyprint.draw import border, text
    from weasyprint.formatting_structure import boxes
    from weasyprint.layout import background, block, inline, percent, preferred
    from weasyprint.layout import float as floats
    from weasyprint.text import line_break

    render._weasyprint()
    assert inline.split_first_line is preferred.split_first_line
    assert inline.split_first_line.__module__ == fastpaths.lines.__name__
    for origin, name, fast_path in (
        (percent, "resolve_percentages", fastpaths.layout),
        (line_break, "strut", fastpaths.layout),
        (floats, "avoid_collisions", fastpaths.layout),
        (background, "layout_box_backgrounds", fastpaths.decoration),
        (border, "draw_border", fastpaths.decoration),
        (text, "draw_first_line", fastpaths.text),
        (block, "block_container_layout", fastpaths.cells),
    ):
        patched = getattr(origin, name)
        assert patched.__module__ == fast_path.__name__, name
        for key, module in list(sys.modules.items()):
            if key.startswith("weasyprint.") and hasattr(module, name):
                assert getattr(module, name) is patched, f"{key}.{name}"

    # ``walks`` and ``flows`` replace Box methods: no box class may define its own, nor
    # its own version of the five methods whose answers ``flows`` keeps by style.
    assert boxes.Box.descendants.__module__ == fastpaths.layout.__name__
    assert boxes.Box.is_in_normal_flow.__module__ == fastpaths.layout.__name__
    replaced = {
        "descendants",
        "is_in_normal_flow",
        "is_floated",
        "is_absolutely_positioned",
        "is_running",
        "is_footnote",
        "is_note",
    }
    classes, overriding = [boxes.Box], []
    while classes:
        for sub in classes.pop().__subclasses__():
            classes.append(sub)
            overriding.extend((sub, name) for name in replaced & set(vars(sub)))
    assert not overriding

    # Every attribute WeasyPrint's own resolve_percentages sets is one the memo copies.
    from weasyprint import HTML

    page = HTML(string="<p style='margin: 1em 5%; padding: 2%; width: 50%'>x</p>").render()
    laid_out = [b for b in page.pages[0]._page_box.descendants() if isinstance(b, boxes.BlockBox)]
    assert laid_out
    for box in laid_out:
        fresh = box.copy()
        for name in fastpaths.USED_LENGTHS:
            setattr(fresh, name, object())
        before = dict(vars(fresh))
        fastpaths.ORIGINALS["resolve_percentages"](fresh, (500.0, 800.0))
        changed = {k for k, v in vars(fresh).items() if k not in before or before[k] is not v}
        assert changed == set(fastpaths.USED_LENGTHS)


def test_elements_are_matched_by_shape_only_where_no_selector_looks_further() -> None:
    """The ``matching`` fast path reuses an answer for elements of the same tag and
    attributes under ancestors of the same shape: it engages for the documents'
    stylesheets and not for a stylesheet with sibling, structural, :empty, :has() or
    :lang() selectors, whose answers depend on more than that."""
    import cssselect2
    from weasyprint import CSS

    _, stylesheet, document_class = render._weasyprint()
    assert cssselect2.Matcher.match.__module__ == fastpaths.matching.__name__
    user_agent = document_class(string="<p>x</p>", base_url=".")._ua_stylesheets()[0]
    by_shape = fastpaths.matching._by_shape
    assert by_shape(stylesheet.matcher) and by_shape(user_agent.matcher)
    assert by_shape(CSS(string="table.grid > tbody td.num, [hidden], :root {}").matcher)
    for selector in (
        "td + td",
        "td ~ td",
        "tr:first-child",
        "tr:nth-child(2n)",
        "p:empty",
        "div:has(p)",
        "p:lang(zh)",
    ):
        assert not by_shape(CSS(string=f"{selector} {{ color: red }}").matcher), selector


def test_a_render_does_not_map_frame_chunks_cell_by_cell_whatever_the_callers_depth() -> None:
    """CPython 3.11 maps and unmaps a 16 KiB chunk of its frame stack each time a call
    crosses a chunk's end; a render called at an unlucky depth crossed one for every table
    cell (thousands of page faults a statement: a sixth of a pool worker's time). Called
    from any depth, a warm render now faults in a few pages (``render._roomy``): the
    median over callers 0 to 56 frames deep stays under 300, where it was about 1,100."""
    import resource
    import statistics

    html = (Path(__file__).parent / "statement_sample.html").read_text(encoding="utf-8")
    render.write_pdf(html)

    def nested(depth: int) -> None:
        if depth == 0:
            render.write_pdf(html)
            return
        nested(depth - 1)

    def faults(depth: int) -> int:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        nested(depth)
        return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before

    counts = [faults(depth) for depth in range(0, 60, 4)]
    assert statistics.median(counts) < 300, counts


def test_the_documents_stylesheets_never_ask_for_an_ellipsis() -> None:
    """A shared text layout is safe because no document rewrites its text when drawing,
    which only an ellipsis does (``fastpaths``: lines, text)."""
    for sheet in render.DOCUMENTS_DIR.glob("*.css"):
        css = sheet.read_text(encoding="utf-8")
        assert "text-overflow" not in css and "block-ellipsis" not in css, sheet
    for page in render.DOCUMENTS_DIR.glob("*.html"):
        assert "ellipsis" not in page.read_text(encoding="utf-8"), page


def test_a_finished_render_leaves_the_collector_little_to_trace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """WeasyPrint's layout context and each laid-out table sit in reference cycles that
    keep everything a render made (boxes, styles, layouts) for the garbage collector to
    trace; ``cycles`` breaks them once the PDF is written, so the one collection after a
    render finds a small part of what it found before (the styles stay for it), and the
    PDF is unchanged."""
    import gc

    html = (Path(__file__).parent / "statement_sample.html").read_text(encoding="utf-8")
    found: list[int] = []
    collect = gc.collect

    def noting(generation: int = 2) -> int:
        found.append(collect(generation))
        return found[-1]

    monkeypatch.setattr(gc, "collect", noting)
    for enabled in (fastpaths.ALL - {"cycles"}, fastpaths.ALL):
        monkeypatch.setattr(fastpaths, "ENABLED", enabled)
        collect()
        pdf = render.write_pdf(html)
    kept, freed = found
    assert kept > 5000 and freed * 4 < kept, found
    monkeypatch.setattr(fastpaths, "ENABLED", frozenset())
    assert content_streams(render.write_pdf(html)) == content_streams(pdf)


def test_a_font_file_is_copied_once_per_process_and_is_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file of the face a document's font comes from is copied out of HarfBuzz once per
    process (``render._install_font_files``): the same bytes object for every document,
    byte for byte what WeasyPrint copies, and the PDF the one rendered copying it anew."""
    from weasyprint.text import fonts
    from weasyprint.text.ffi import ffi

    html = (Path(__file__).parent / "statement_sample.html").read_text(encoding="utf-8")
    kept = content_streams(render.write_pdf(html))
    files = {address: data for address, (_face, data) in render._FONT_FILES.items()}
    assert files
    render.write_pdf(html)
    for address, data in files.items():
        assert render._FONT_FILES[address][1] is data
        assert fonts.get_hb_object_data(ffi.cast("hb_face_t *", address)) == data

    class Forgetting(dict):  # type: ignore[type-arg]
        def __setitem__(self, key: Any, value: Any) -> None:
            pass

    monkeypatch.setattr(render, "_FONT_FILES", Forgetting())
    assert content_streams(render.write_pdf(html)) == kept
