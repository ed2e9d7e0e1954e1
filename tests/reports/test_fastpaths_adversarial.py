"""Adversarial documents for WeasyPrint's fast paths (``service.reports.fastpaths``).

Each case is HTML built to make a fast path reuse something it should not: cells at and
across page breaks, repeated headers and footers, rowspan and colspan, vertical alignment,
sibling and structural selectors, attribute and ``lang`` selectors, borders of other
colours, widths and alpha, opacity groups, nested tables, links and bookmarks on cells.
Each is rendered with no fast path, with every fast path and with each of the newest ones
(``cells``, ``matching``, ``borders`` (its recorded border writes), ``numbers``) alone,
and must write the same page contents and PDF objects (``content_streams``: the page
streams and the compressed object streams, where outlines and link annotations live).

Found by this file and fixed: ``cells`` let a reused cell keep the first like cell's
bookmark label or link (``bookmark_*``, ``*link*``), and moved a copy down by a difference
instead of summing its positions and height from its own top as WeasyPrint does, a few
last bits apart, which shows where a value sits at a rounding boundary of the six decimals
pydyf writes (``float_rounding_*``); ``borders`` sized the padding-box rectangle in
another order than WeasyPrint (``float_rounding_grid``)."""

# The cases are HTML documents, each row and stylesheet kept on one line to read as one.
# ruff: noqa: E501

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest

from service.reports import fastpaths, render
from tests.support import content_streams, render_noting_memo


def doc(body: str, style: str = "") -> str:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"/>'
        f"<style>{style}</style></head><body>{body}</body></html>"
    )


def rows(n: int, f: Any) -> str:
    return "".join(f(i) for i in range(n))


def grid(body: str, cls: str = "grid", head: str = "", attrs: str = "") -> str:
    h = f"<thead>{head}</thead>" if head else ""
    return f"<table class='{cls}'{attrs}>{h}<tbody>{body}</tbody></table>"


HEAD3 = "<tr><th>项目</th><th class='num'>金额</th><th class='num'>余额</th></tr>"
CASES: dict[str, str] = {}
CASES["long_ledger_repeated_header"] = doc(
    grid(
        rows(
            150,
            lambda i: (
                f"<tr><td>第{i % 5}户</td><td class='num'>0.00</td><td class='num'>{i % 7}.50</td></tr>"
            ),
        ),
        "grid compact",
        HEAD3,
    )
)
CASES["fixed_layout"] = doc(
    grid(
        rows(
            150,
            lambda i: (
                f"<tr><td>{i % 2}</td><td class='num'>0.00</td><td class='num'>1.00</td></tr>"
            ),
        ),
        "grid fixed",
        HEAD3,
    )
)
CASES["sum_rows"] = doc(
    grid(
        rows(
            120,
            lambda i: (
                f"<tr{' class=sum' if i % 9 == 0 else ''}><td>小计</td><td class='num'>0.00</td><td class='num'>0.00</td></tr>"
            ),
        ),
        "grid",
        HEAD3,
        "",
    )
)
CASES["tfoot"] = doc(
    "<table class='grid'><thead>"
    + HEAD3
    + "</thead><tfoot><tr><td>合计</td><td class='num'>0.00</td><td class='num'>0.00</td></tr></tfoot><tbody>"
    + rows(
        150, lambda i: "<tr><td>合计</td><td class='num'>0.00</td><td class='num'>0.00</td></tr>"
    )
    + "</tbody></table>",
    "tfoot{display:table-footer-group}",
)
# rows landing at the page bottom: many offsets so some row ends exactly there
for pad in (0, 1, 3, 7):
    CASES[f"page_bottom_offset_{pad}"] = doc(
        f"<div style='height:{pad}.37mm'></div>"
        + grid(
            rows(80, lambda i: "<tr><td>0.00</td><td class='num'>0.00</td></tr>"), "grid compact"
        )
    )
CASES["break_inside_auto_rows"] = doc(
    grid(rows(90, lambda i: "<tr><td>0.00</td><td class='num'>0.00</td></tr>"), "grid"),
    "table.grid tr{break-inside:auto}",
)
CASES["tall_cells_split"] = doc(
    grid(
        rows(
            40,
            lambda i: f"<tr><td>0.00</td><td>{'很长的文字 ' * (40 if i % 6 == 0 else 1)}</td></tr>",
        ),
        "grid",
    ),
    "table.grid tr{break-inside:auto}",
)
CASES["tall_cells_avoid"] = doc(
    grid(
        rows(
            40,
            lambda i: f"<tr><td>0.00</td><td>{'很长的文字 ' * (40 if i % 6 == 0 else 1)}</td></tr>",
        ),
        "grid",
    )
)
CASES["rowspan_colspan"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                "<tr><td rowspan='2'>0.00</td><td>0.00</td><td>0.00</td></tr><tr><td colspan='2'>0.00</td></tr>"
            ),
        ),
        "grid",
    )
)
CASES["vertical_align_mixed"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                f"<tr><td style='vertical-align:{['middle', 'bottom', 'baseline', 'top'][i % 4]}'>0.00</td><td class='x'>0.00</td><td>多行<br/>文字</td><td class='big'>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.x{vertical-align:middle} td.big{font-size:14pt; vertical-align:baseline} td{vertical-align:baseline}",
)
CASES["valign_class"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                f"<tr><td class='m'>0.00</td><td class='b'>0.00</td><td>{'甲 ' * (1 + i % 3 * 12)}</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.m{vertical-align:middle} td.b{vertical-align:bottom}",
)
CASES["cell_heights"] = doc(
    grid(
        rows(
            60,
            lambda i: f"<tr><td class='h'>0.00</td><td style='height:{8 + i % 3}mm'>0.00</td></tr>",
        ),
        "grid",
    ),
    "td.h{height:9mm; vertical-align:middle}",
)
CASES["br_and_spans"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                "<tr><td>0.00</td><td>0<br/>00</td><td><span>0.00</span></td><td>0.<b>00</b></td></tr>"
            ),
        ),
        "grid",
    )
)
CASES["empty_cells"] = doc(
    grid(
        rows(60, lambda i: "<tr><td></td><td> </td><td>0.00</td><td class='num'></td></tr>"), "grid"
    ),
    "td:empty{background:#eee}",
)
CASES["same_text_columns_tables"] = doc(
    "".join(
        f"<table class='grid' style='width:{w}%'><tbody>"
        + rows(20, lambda i: "<tr><td>0.00</td><td class='num'>0.00</td><td>0.00</td></tr>")
        + "</tbody></table>"
        for w in (100, 60, 33)
    )
)
CASES["text_align"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                f"<tr><td style='text-align:{['left', 'center', 'right', 'justify'][i % 4]}'>0.00</td><td class='c'>0.00</td><td class='j'>0.00 0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.c{text-align:center} td.j{text-align:justify; text-align-last:justify}",
)
CASES["white_space"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                "<tr><td class='p'>  0.00  </td><td class='n'>  0.00 </td><td> 0.00 </td></tr>"
            ),
        ),
        "grid",
    ),
    "td.p{white-space:pre} td.n{white-space:nowrap} ",
)
CASES["sibling_selectors"] = doc(
    grid(rows(60, lambda i: "<tr><td>0.00</td><td>0.00</td><td>0.00</td></tr>"), "grid"),
    "td + td{color:red} tr:nth-child(even) td{background:#ddd} td:first-child{text-align:right} td:last-child{border-color:blue} tr:has(td.x) td{color:green}",
)
CASES["structural_more"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                f"<tr><td>0.00</td><td>{'' if i % 3 else '0.00'}</td><td class='x'>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td:empty{border-color:red} td ~ td.x{color:blue} td:nth-last-child(2){text-align:right} tr:first-of-type td{font-size:12pt}",
)
CASES["attr_selectors"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                f"<tr><td data-k='{i % 3}'>0.00</td><td title='a{i % 2}'>0.00</td><td>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td[data-k='1']{color:red} td[title]{text-align:center} [data-k*='2']{font-size:11pt} td[title^='a1']{color:blue}",
)
CASES["lang_attrs"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                f"<tr><td lang='{['en', 'zh', 'ja'][i % 3]}'>0.00 straße</td><td>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td:lang(en){color:red; text-transform:uppercase} [lang|='ja']{font-size:11pt}",
)
CASES["style_attrs"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                f"<tr><td style='color:#{i % 3}{i % 3}0'>0.00</td><td style='padding:{i % 2}mm'>0.00</td></tr>"
            ),
        ),
        "grid",
    )
)
CASES["ids_anchors_links"] = doc(
    "<p><a href='#c5'>to 5</a> <a href='#c40'>to 40</a></p>"
    + grid(
        rows(60, lambda i: f"<tr><td id='c{i}'>0.00</td><td><a href='#c{i}'>0.00</a></td></tr>"),
        "grid",
    ),
    "[id]{anchor: attr(id)} a[href]{link: attr(href)}",
)
CASES["string_set_cells"] = doc(
    grid(rows(80, lambda i: f"<tr><td class='s'>0.00</td><td>{i}</td></tr>"), "grid"),
    "td.s{string-set: doc-title content()} ",
)
CASES["relative_cells"] = doc(
    grid(rows(60, lambda i: "<tr><td class='r'>0.00</td><td>0.00</td></tr>"), "grid"),
    "td.r{position:relative; top:1mm}",
)
CASES["floats_in_cells"] = doc(
    grid(rows(40, lambda i: "<tr><td><span class='f'>0</span>0.00</td><td>0.00</td></tr>"), "grid"),
    ".f{float:right}",
)
CASES["before_content"] = doc(
    grid(
        rows(60, lambda i: "<tr><td class='b'>0.00</td><td class='e'></td><td>0.00</td></tr>"),
        "grid",
    ),
    "td.b::before{content:'¥'} td.e::after{content:'0.00'}",
)
CASES["border_colours_alpha"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                f"<tr><td class='a'>0.00</td><td class='c{i % 3}'>0.00</td><td style='border-color:rgba(255,0,0,{0.2 + i % 3 * 0.3})'>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.a{border:1pt solid rgba(0,0,255,.4); color:rgba(0,0,0,.5)} td.c0{border-color:red} td.c1{border:2pt solid green} td.c2{border-width:0.5pt}",
)
CASES["opacity"] = doc(
    grid(rows(40, lambda i: "<tr><td class='o'>0.00</td><td>0.00</td></tr>"), "grid")
    + "<div style='opacity:.5'>"
    + grid(rows(40, lambda i: "<tr><td class='o'>0.00</td><td>0.00</td></tr>"), "grid")
    + "</div>",
    "td.o{opacity:.6}",
)
CASES["text_colour_equals_border"] = doc(
    grid(rows(60, lambda i: "<tr><td class='k'>0.00</td><td class='k2'>0.00</td></tr>"), "grid"),
    "td.k{color:#999} td.k2{color:#999; background:#999}",
)
CASES["nested_tables"] = doc(
    grid(
        rows(
            25,
            lambda i: (
                "<tr><td>0.00</td><td>"
                + grid(
                    "<tr><td>0.00</td><td>0.00</td></tr><tr><td>0.00</td><td>0.00</td></tr>",
                    "grid compact",
                )
                + "</td></tr>"
            ),
        ),
        "grid",
    )
)
CASES["transforms_rotate0"] = doc(
    grid(rows(40, lambda i: "<tr><td class='t'>0.00</td><td>0.00</td></tr>"), "grid"),
    "td.t{transform:rotate(0deg)} table{transform: rotate(180deg) rotate(180deg)}",
)
CASES["landscape_pages_mix"] = doc(
    grid(rows(60, lambda i: "<tr><td>0.00</td><td>0.00</td></tr>"), "grid")
    + "<div class='landscape'>"
    + grid(rows(60, lambda i: "<tr><td>0.00</td><td>0.00</td></tr>"), "grid")
    + "</div>"
)
CASES["columns"] = doc(
    "<div style='columns:2'>"
    + grid(rows(120, lambda i: "<tr><td>0.00</td><td>0.00</td></tr>"), "grid")
    + "</div>"
)
CASES["page_break_before_rows"] = doc(
    grid(
        rows(
            60, lambda i: f"<tr{' class=pb' if i % 13 == 0 else ''}><td>0.00</td><td>0.00</td></tr>"
        ),
        "grid",
    ),
    "tr.pb{break-before:page}",
)
CASES["caption_and_margins"] = doc(
    rows(
        6,
        lambda j: (
            f"<h2>表{j}</h2>"
            + "<table class='grid'><caption>说明</caption><tbody>"
            + rows(35, lambda i: "<tr><td>0.00</td><td>0.00</td></tr>")
            + "</tbody></table>"
        ),
    )
)
CASES["direction_rtl"] = doc(
    grid(rows(40, lambda i: "<tr><td>0.00</td><td>abc</td></tr>"), "grid", attrs=" dir='rtl'"),
    "[dir=rtl]{direction:rtl}",
)
CASES["text_overflow_ellipsis"] = doc(
    grid(
        rows(
            40,
            lambda i: (
                "<tr><td class='e'>0.00 very long text that should be clipped</td><td>0.00</td></tr>"
            ),
        ),
        "grid fixed",
    ),
    "td.e{overflow:hidden; white-space:nowrap; text-overflow:ellipsis; width:10mm}",
)
CASES["first_line_letter"] = doc(
    grid(rows(40, lambda i: "<tr><td class='f'>0.00</td><td class='l'>0.00</td></tr>"), "grid"),
    "td.f::first-line{color:red} td.l::first-letter{font-size:14pt}",
)
CASES["visibility_hidden"] = doc(
    grid(rows(40, lambda i: f"<tr><td class='h{i % 2}'>0.00</td><td>0.00</td></tr>"), "grid"),
    "td.h1{visibility:hidden}",
)
CASES["counters_before"] = doc(
    grid(rows(40, lambda i: "<tr><td class='n'></td><td>0.00</td></tr>"), "grid"),
    "tbody{counter-reset:r} tr{counter-increment:r} td.n::before{content:counter(r)}",
)
CASES["max_lines_clamp"] = doc(
    grid(rows(40, lambda i: "<tr><td class='m'>0.00</td><td>0.00</td></tr>"), "grid"),
    "td.m{line-clamp:1}",
)
CASES["box_decoration_clone_cells"] = doc(
    grid(rows(40, lambda i: "<tr><td class='m'>0.00</td><td>0.00</td></tr>"), "grid"),
    "td.m{box-decoration-break:clone}",
)
CASES["bookmark_content"] = doc(
    grid(rows(40, lambda i: "<tr><td class='m'>0.00</td><td>0.00</td></tr>"), "grid"),
    "td.m{bookmark-level:2; bookmark-label:content()}",
)
CASES["bookmark_attr"] = doc(
    grid(rows(30, lambda i: f"<tr><td data-x='r{i}'>same</td><td>x</td></tr>"), "grid"),
    "td[data-x]{bookmark-level:1; bookmark-label:attr(data-x)}",
)
CASES["bookmark_counter"] = doc(
    grid(rows(30, lambda i: "<tr><td class='b'>same</td><td>x</td></tr>"), "grid"),
    "tr{counter-increment:row} td.b{bookmark-level:1; bookmark-label:counter(row)}",
)
CASES["link_cells"] = doc(
    "<div class='t'>"
    + rows(
        20,
        lambda i: (
            f"<div class='r'><a href='https://example.com/{i}'>same</a><span class='c'>x</span></div>"
        ),
    )
    + "</div>",
    ".t{display:table; width:100%} .r{display:table-row} .r a, .r .c{display:table-cell; border:0.25pt solid #999}",
)
CASES["inline_table_cells"] = doc(
    rows(
        10,
        lambda j: (
            "<span class='it'>"
            + rows(
                3,
                lambda i: (
                    "<span class='r'><span class='c'>0.00</span><span class='c'>0.00</span></span>"
                ),
            )
            + "</span> "
        ),
    ),
    ".it{display:inline-table} .r{display:table-row} .c{display:table-cell; border:0.25pt solid #999; padding:1mm}",
)
CASES["tabular_nums_font_variants"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                "<tr><td class='num'>0.00</td><td class='num s'>0.00</td><td class='num u'>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.s{letter-spacing:1pt; word-spacing:2pt} td.u{text-decoration:underline; text-transform:uppercase}",
)
SVG = "<svg xmlns='http://www.w3.org/2000/svg' width='20' height='8'><style>rect{fill:#c00} .b rect{fill:#00c} rect + rect{fill:#0c0}</style><g class='{cls}'><rect width='8' height='8'/><rect x='10' width='8' height='8'/></g></svg>"
CASES["matching_shape_selectors"] = doc(
    "".join(
        f"<div class='w{j}' id='s{j}'>"
        + grid(
            rows(
                15,
                lambda i: (
                    f"<tr class='r{i % 2}'><td class='num' data-x='A{i % 3}'>0.00</td><td>0.00</td></tr>"
                ),
            ),
            "grid",
        )
        + "</div>"
        for j in range(3)
    ),
    ".w1 td{color:red} #s2 table > tbody > tr > td.num{text-align:left} :root body .w0 td[data-x*='1']{font-size:12pt} td:is(.num):not([data-x='A2']){border-color:#c00} tr.r1 td[data-x='A0' s]{padding:2mm} :scope .w2 tr.r0 td:where(.num){color:blue} *|td[data-x]{letter-spacing:0}",
)
CASES["matching_deep_ancestors"] = doc(
    "".join(
        f"<section class='s{j % 2}'><div><div>"
        + grid(rows(15, lambda i: "<tr><td>0.00</td><td class='num'>0.00</td></tr>"), "grid")
        + "</div></div></section>"
        for j in range(4)
    ),
    "section.s1 td{color:red} .s0 div div td.num{text-align:left}",
)
CASES["html5_parser_path"] = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><style>td+td{color:red} .n{text-align:right}</style></head><body><table class='grid'>"
    + rows(80, lambda i: "<tr><td>0.00<td class=n>0.00<td>x")
    + "</table><p>unclosed <b>bold</body></html>"
)
CASES["tr_straight_in_table"] = doc(
    "<table class='grid'>"
    + rows(80, lambda i: "<tr><td>0.00</td><td class='num'>0.00</td></tr>")
    + "</table>"
)
CASES["svg_in_cells"] = doc(
    grid(
        rows(
            30,
            lambda i: (
                f"<tr><td>{SVG.replace('{cls}', 'b' if i % 2 else 'a')}</td><td>0.00</td></tr>"
            ),
        ),
        "grid",
    )
)
CASES["dup_ids"] = doc(
    grid(rows(40, lambda i: f"<tr><td id='same'>0.00</td><td id='x{i}'>0.00</td></tr>"), "grid"),
    "#same{color:red} td[id^='x1']{color:blue}",
)
CASES["many_border_styles_pages"] = doc(
    grid(
        rows(150, lambda i: f"<tr class='c{i % 4}'><td>0.00</td><td class='num'>0.00</td></tr>"),
        "grid",
    ),
    "tr.c1 td{border-color:#999; color:#999} tr.c2 td{border:0.25pt solid rgba(153,153,153,.5)} tr.c3 td{border:0.25pt solid #999; background:rgba(0,0,0,.1)} tr.c0 td{color:rgba(0,0,0,.5)}",
)
CASES["border_dashed_partial"] = doc(
    grid(
        rows(
            40,
            lambda i: (
                "<tr><td class='d'>0.00</td><td class='p'>0.00</td><td class='r'>0.00</td><td class='z'>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.d{border-style:dashed} td.p{border-left:2pt solid red} td.r{border-radius:2pt} td.z{border-width:0}",
)
CASES["cell_margins_and_lengths"] = doc(
    grid(rows(40, lambda i: "<tr><td class='m'>0.00</td><td class='pc'>0.00</td></tr>"), "grid"),
    "td.m{margin:3mm; min-height:10mm; max-width:5mm} td.pc{padding:1% 5%; width:20%}",
)
CASES["inline_block_cells"] = doc(
    grid(
        rows(
            40,
            lambda i: (
                "<tr><td><span style='display:inline-block'>0.00</span></td><td><img style='width:3mm;height:3mm;display:inline-block;background:#000'/></td></tr>"
            ),
        ),
        "grid",
    )
)

# The smallest documents that show the differences.
CASES["min_bookmark_attr"] = doc(
    "<table><tr><td title='A'>x</td></tr><tr><td title='B'>x</td></tr></table>",
    "td{bookmark-level:1; bookmark-label:attr(title)}",
)
CASES["min_link_cell"] = doc(
    "<div class='t'><div class='r'><a href='https://a.example/'>x</a></div><div class='r'><a href='https://b.example/'>x</a></div></div>",
    ".t{display:table} .r{display:table-row} a{display:table-cell}",
)
# ``cascade``: like cells whose own cascade matters. A pseudo-element is styled from the
# cell's own cascade; ``id``, ``lang`` and ``style`` attributes give declarations of their
# own (an anchor a link points at, a language, a colour) that a cell of the same classes
# under the same row style must not pass on to the next.
CASES["cascade_pseudo_elements"] = doc(
    grid(
        rows(
            40,
            lambda i: (
                f"<tr><td class='num'>0.00</td><td class='num y'>{i % 3}.00</td><td class='m'>x</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.y::before{content:'¥'} td.m::after{content:' *'; color:#c00}",
)
CASES["cascade_own_attributes"] = doc(
    "<p><a href='#c7'>第7行</a> <a href='#c31'>第31行</a></p>"
    + grid(
        rows(
            40,
            lambda i: (
                f"<tr><td class='num' id='c{i}'>0.00</td><td class='num'{' lang=en' * (i % 2)}>0.00</td>"
                f"<td class='num'{' style=color:#c00' * (i % 3 == 1)}>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td:lang(en){color:#00c}",
)
CASES["cascade_own_attributes_by_shape"] = doc(
    "<p><a href='#c7'>第7行</a></p>"
    + grid(
        rows(
            40,
            lambda i: (
                f"<tr><td class='num' id='c{i}'>0.00</td>"
                f"<td class='num'{' style=color:#c00' * (i % 3 == 1)}>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
)
# ``queries``: stylesheets deep in the body (WeasyPrint applies a ``style`` element
# wherever it is), one of them in capitals, beside thousands of cells without one.
CASES["queries_style_in_body"] = doc(
    grid(
        rows(
            60,
            lambda i: (
                "<tr><td class='num'>0.00</td><td><div><span>x</span>"
                + ("<style>td.num{color:#c00}</style>" if i == 37 else "")
                + "</div></td></tr>"
            ),
        ),
        "grid",
    )
    + "<div><div><STYLE>span{font-size:14pt}</STYLE></div></div>",
)

# ``paragraphs``: texts with paragraph breaks (kept by ``white-space: pre`` and
# ``pre-line``, or a paragraph separator) beside like texts without one.
CASES["paragraphs_breaks"] = doc(
    grid(
        rows(
            30,
            lambda i: (
                f"<tr><td class='p'>0.00\n{i % 4}.00</td><td class='l'>第{i % 3}户\n合计</td>"
                f"<td>0.00\u2029{i % 2}</td><td class='p'>0.00</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.p{white-space:pre} td.l{white-space:pre-line}",
)

# ``fonts``: runs of several Pango fonts (families, sizes, a weight, a fallback for
# characters the first family lacks) in like cells, on several pages.
CASES["fonts_mixed_runs"] = doc(
    grid(
        rows(
            90,
            lambda i: (
                f"<tr><td class='f{i % 4}'>0.00 第{i % 3}户 ж</td><td class='num f{(i + 1) % 4}'>{i % 5}.00</td>"
                f"<td class='f{(i + 2) % 4}'>合计 Σ</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.f1{font-family:'DejaVu Serif'} td.f2{font-family:'Liberation Mono'; font-size:11pt} td.f3{font-family:'DejaVu Sans'; font-weight:bold}",
)

# ``glyphs``: lines whose glyphs are not all plain: kerning and ligatures (Latin in
# DejaVu), letter spacing, right-to-left runs, combining marks, a zero-width space, a
# character no font has, and lines that change font between runs; beside plain ones.
GLYPH_TEXTS = (
    "AV To Wa ffi fl",
    "שלום עולם 12",
    "e\u0301 a\u0308 n\u0303 q\u0301 x\u0301 k\u0323 q\u0323\u0301 x\u0308\u0301 \u0431\u0301",
    "0.00\u200b0.00",
    "\U0001d11e \U000e0041",
    "第3户 Ωmega ж 0.00",
    "0.00",
)
CASES["glyphs_shaping"] = doc(
    grid(
        rows(
            42,
            lambda i: (
                f"<tr><td class='g{i % 3}'>{GLYPH_TEXTS[i % 7]}</td><td class='num'>{GLYPH_TEXTS[(i + 3) % 7]}</td></tr>"
            ),
        ),
        "grid",
    ),
    "td.g1{font-family:'DejaVu Serif'; letter-spacing:0.3pt} td.g2{font-family:'DejaVu Sans'; font-size:13pt}",
)

# A row height at a rounding boundary of the 6 decimals pydyf writes: a reused cell's
# boxes are the first one's moved down (``translate``) with the first one's height, while
# WeasyPrint sums each cell's positions and height from its own top; the few ulps
# between the two print as 19.000001 or 19.
CASES["float_rounding_background"] = doc(
    "<table>" + rows(30, lambda i: "<tr><td>0.00</td></tr>") + "</table>",
    "td{padding:0; background:#eee; line-height:19.0000005px}",
)
CASES["float_rounding_grid"] = doc(
    grid(rows(60, lambda i: "<tr><td>0.00</td><td>x</td></tr>")),
    "table.grid td{padding:0; line-height:18.33333383333333px}",
)
# Any plain four-sided border (``borders`` draws it): WeasyPrint's padding box height is
# border_height() - bt - bb; the fast path's outer_height - 2 * width rounds the other way.
CASES["min_border_rounding"] = doc(
    "<div class='b'></div>", ".b{border:0.25pt solid #999; height:10.1234565px}"
)

# WeasyPrint 70 itself fails on it (the documents' user-agent sheet gives ::footnote-call
# no display): a render that raises half-way through layout.
RAISES = doc(
    grid(
        rows(
            20,
            lambda i: f"<tr><td>0.00</td><td>0.00{'<span class=fn>注</span>' * (i == 9)}</td></tr>",
        )
    ),
    ".fn{float:footnote}",
)

# Real differences (see the module's docstring), and the fast paths that make them.
# Cases that showed a difference before the fix named in their reason, kept so that a
# regression fails here: none is expected to differ now.
BROKEN: dict[str, tuple[frozenset[str], str]] = {}
NEWEST = (
    "cells",
    "matching",
    "borders",
    "numbers",
    "cascade",
    "queries",
    "cycles",
    "paragraphs",
    "fonts",
    "glyphs",
)
CONFIGS = ("all", *NEWEST)
# ``numbers`` alone (a float written as pydyf writes it: equal floats, 0.0 and -0.0
# included, write the same bytes) on the documents that write the most numbers; every
# case has it on in "all". Keeps the file under a minute.
NUMBERS_ALONE = frozenset(
    (
        "long_ledger_repeated_header",
        "border_colours_alpha",
        "opacity",
        "transforms_rotate0",
        "vertical_align_mixed",
        "columns",
        "float_rounding_grid",
    )
)
# ``queries``, ``cycles`` and ``paragraphs`` alone (none changes a box: one finds the
# stylesheets, one frees what a finished render made, one sets a Pango mode that only
# paragraph breaks feel) on the documents made for them and a few others; every case has
# them on in "all".
ALONE_ON: dict[str, frozenset[str]] = {
    "numbers": NUMBERS_ALONE,
    "queries": frozenset(
        ("queries_style_in_body", "html5_parser_path", "matching_shape_selectors", "opacity")
    ),
    "cycles": frozenset(
        ("long_ledger_repeated_header", "nested_tables", "fixed_layout", "sum_rows")
    ),
    "paragraphs": frozenset(
        (
            "paragraphs_breaks",
            "br_and_spans",
            "tabular_nums_font_variants",
            "long_ledger_repeated_header",
            "html5_parser_path",
        )
    ),
}


def render_with(html: str, enabled: frozenset[str]) -> tuple[list[bytes], fastpaths.Memo]:
    """The PDF's compressed streams rendered with ``enabled``, and the render's memo."""
    pdf, memo = render_noting_memo(html, enabled)
    return content_streams(pdf), memo


@cache
def plain(name: str) -> list[bytes]:
    """The case rendered by WeasyPrint alone (each case once per test session)."""
    return render_with(CASES[name], frozenset())[0]


def params() -> Iterator[Any]:
    for name in CASES:
        for config in CONFIGS:
            if config in ALONE_ON and name not in ALONE_ON[config]:
                continue
            marks = []
            if name in BROKEN and config in BROKEN[name][0]:
                marks.append(pytest.mark.xfail(reason=BROKEN[name][1], strict=True))
            yield pytest.param(name, config, marks=marks, id=f"{name}-{config}")


@pytest.mark.parametrize(("name", "config"), list(params()))
def test_fast_paths_write_what_weasyprint_writes(name: str, config: str) -> None:
    enabled = (
        fastpaths.ALL
        if config == "all"
        else frozenset({config}) | fastpaths.NEEDS.get(config, frozenset())
    )
    fast, _memo = render_with(CASES[name], enabled)
    assert fastpaths.state.CURRENT is None
    expected = plain(name)
    assert len(fast) == len(expected)
    assert fast == expected


def test_the_cases_reach_the_newest_fast_paths() -> None:
    """The long ledger takes every fast path under test, with all of them on and with each
    alone (``cascade`` styles most elements before ``matching`` is asked, so ``matching``
    reuses its answers only when it is on without it), and each path's own case takes it
    (else the cases prove nothing)."""
    _streams, memo = render_with(CASES["long_ledger_repeated_header"], fastpaths.ALL)
    for name in NEWEST:
        assert name == "matching" or memo.taken(name), name
    assert memo.border_writes
    for name in NEWEST:
        alone = frozenset({name}) | fastpaths.NEEDS.get(name, frozenset())
        assert render_with(CASES["long_ledger_repeated_header"], alone)[1].taken(name), name
    for case, name in (
        ("cascade_pseudo_elements", "cascade"),
        ("cascade_own_attributes_by_shape", "cascade"),
        ("queries_style_in_body", "queries"),
        ("paragraphs_breaks", "paragraphs"),
        ("fonts_mixed_runs", "fonts"),
        ("glyphs_shaping", "glyphs"),
    ):
        assert render_with(CASES[case], fastpaths.ALL)[1].taken(name), case


@pytest.mark.parametrize("where", ["layout", "finisher"])
def test_a_render_that_raises_leaves_no_memo_and_the_next_is_plain(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fastpaths, "ENABLED", fastpaths.ALL)
    html = CASES["border_colours_alpha"]
    if where == "layout":
        with pytest.raises(TypeError):
            render.write_pdf(RAISES)
    else:

        def finisher(_document: Any, _pdf: Any) -> None:
            assert fastpaths.state.CURRENT is not None
            raise RuntimeError("finisher")

        monkeypatch.setattr(render, "_bare_cff_finisher", finisher)
        with pytest.raises(RuntimeError):
            render.write_pdf(html)
        monkeypatch.undo()
        monkeypatch.setattr(fastpaths, "ENABLED", fastpaths.ALL)
    assert fastpaths.state.CURRENT is None
    assert content_streams(render.write_pdf(html)) == plain("border_colours_alpha")


def test_nothing_carries_over_from_one_render_to_the_next(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """B after A (same stylesheet, same matcher, like cells and borders) is B rendered
    without fast paths, and B rendered first thing in a fresh process."""
    monkeypatch.setattr(fastpaths, "ENABLED", fastpaths.ALL)
    render.write_pdf(CASES["long_ledger_repeated_header"])
    after = {
        name: content_streams(render.write_pdf(CASES[name]))
        for name in ("border_colours_alpha", "sibling_selectors", "sum_rows")
    }
    for name, streams in after.items():
        assert streams == plain(name), name
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pickle, sys\n"
            "from service.reports import render\n"
            "from tests.reports.test_fastpaths_adversarial import CASES\n"
            "from tests.support import content_streams, render_noting_memo\n"
            "pdf = render.write_pdf(CASES['border_colours_alpha'])\n"
            "sys.stdout.buffer.write(pickle.dumps(content_streams(pdf)))\n",
        ],
        capture_output=True,
        check=True,
    )
    assert pickle.loads(fresh.stdout) == after["border_colours_alpha"]
