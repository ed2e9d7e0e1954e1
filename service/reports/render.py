"""PDF rendering: Jinja templates under ``templates/documents/`` turned into A4 PDFs by
WeasyPrint, with a CJK font on the body and on the page-number margin boxes.

WeasyPrint is synchronous, CPU-bound and not thread-safe (STACK-NOTES "WeasyPrint and
Chinese"): ``render_pdf`` runs it in a worker thread, never on the event loop, and one
render at a time (a capacity limiter of one, and a lock for callers outside the loop).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from functools import lru_cache
from typing import Any

import anyio
import anyio.to_thread
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from service.clock import now
from service.config import PROJECT_ROOT
from service.registry.rules import mask_name
from service.units import format_grouped

logger = logging.getLogger("changxiao")

TEMPLATES_DIR = PROJECT_ROOT / "templates"
DOCUMENTS_DIR = TEMPLATES_DIR / "documents"
# The font stack (Noto CJK, then WenQuanYi) lives in this one stylesheet, on the body
# and on every @page margin box.
STYLESHEET = DOCUMENTS_DIR / "document.css"

_LIMITER = anyio.CapacityLimiter(1)
_WEASYPRINT = threading.Lock()


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of the documents (autoescaped, undefined names are errors)."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Documents print amounts and areas with thousands separators (right-aligned by
    # the stylesheet's ``.num``); owners' names on published documents go through ``mask``.
    env.filters["yuan"] = format_grouped
    env.filters["area"] = format_grouped
    env.filters["mask"] = mask_name
    return env


def render_html(template_name: str, context: dict[str, Any]) -> str:
    """The document's HTML (also handy for looking at a document without a PDF);
    ``generated_at`` defaults to now in the district's zone."""
    values = {"generated_at": now().strftime("%Y-%m-%d %H:%M"), **context}
    return environment().get_template(template_name).render(**values)


def _write_pdf(html: str) -> bytes:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    with _WEASYPRINT:
        fonts = FontConfiguration()
        stylesheet = CSS(filename=str(STYLESHEET), font_config=fonts)
        document = HTML(string=html, base_url=str(DOCUMENTS_DIR))
        pdf = document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
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


def cjk_fonts_installed() -> bool:
    """True when fontconfig knows a font covering Chinese (else PDFs show boxes)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())
