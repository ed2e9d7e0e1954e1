"""The rendering infrastructure: WeasyPrint runs off the event loop, one document at a
time; templates are autoescaped; a CJK font is known to fontconfig."""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from service.reports import render


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
