"""create_app(): wires plugins, routes and lifespan — nothing else."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, MediaType, Response, Router, get
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from service.auth.roles import PUBLIC, policy_guard
from service.auth.tokens import build_jwt_auth
from service.config import PROJECT_ROOT, get_settings
from service.contexts import route_handlers
from service.db import close_database, database_answers, open_database
from service.errors import EXCEPTION_HANDLERS, problem
from service.http import install_dependencies_in_order, provide_caller, provide_scope
from service.openapi import OPENAPI_PLUGINS, document_request_problems
from service.pagination import provide_paging
from service.queries import check_query
from service.requests import ExactRequest, decode_request_value, is_request_custom_type
from service.web.routes import build_page_router, build_static_router

logger = logging.getLogger("changxiao")
SWAGGER = "/static/vendor/swagger-ui"


@get("/healthz", opt=PUBLIC, include_in_schema=False, media_type=MediaType.JSON)
async def healthz() -> Response[Any]:
    if await database_answers():
        return Response({"status": "ok"})
    return problem(503, "数据库无法连接。")


def warn_about_pdf_fonts() -> None:
    """PDFs need a CJK font (else boxes) and HarfBuzz subsetting (else seconds per
    document, and WeasyPrint looks for it only when imported): name both packages and
    the restart at start-up. WeasyPrint's per-string ``.notdef`` warnings are filtered."""
    from service.reports.render import font_problems, install_log_filter

    install_log_filter()
    for sentence in font_problems():
        logger.warning(sentence)


@asynccontextmanager
async def database_lifespan(_: Litestar) -> AsyncIterator[None]:
    await open_database()
    try:
        yield
    finally:
        await close_database()


@asynccontextmanager
async def scheduler_lifespan(_: Litestar) -> AsyncIterator[None]:
    if not get_settings().scheduler_enabled:
        yield
        return
    from jobs.scheduler import build_scheduler, configure_logging

    configure_logging()
    scheduler = build_scheduler()
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


def create_app() -> Litestar:
    settings = get_settings()
    install_dependencies_in_order()
    jwt_auth = build_jwt_auth()
    api = Router(
        path="/api/v1",
        route_handlers=route_handlers(),
        guards=[policy_guard],
        before_request=check_query,
        dependencies={
            "caller": Provide(provide_caller, sync_to_thread=False),
            "access": Provide(provide_scope),
            "paging": Provide(provide_paging, sync_to_thread=False),
        },
    )
    warn_about_pdf_fonts()
    app = Litestar(
        route_handlers=[api, healthz, build_page_router(), build_static_router()],
        template_config=TemplateConfig(
            directory=PROJECT_ROOT / "templates", engine=JinjaTemplateEngine
        ),
        on_app_init=[jwt_auth.on_app_init],
        lifespan=[database_lifespan, scheduler_lifespan],
        on_startup=[lambda app: document_request_problems(app.openapi_schema)],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        request_max_body_size=settings.upload_max_bytes,
        request_class=ExactRequest,
        type_decoders=[(is_request_custom_type, decode_request_value)],
        plugins=OPENAPI_PLUGINS,
        openapi_config=OpenAPIConfig(
            title="长效 Changxiao API",
            version="1.0.0",
            path="/schema",
            render_plugins=[
                # Served from the package: the deployment may have no internet.
                SwaggerRenderPlugin(
                    js_url=f"{SWAGGER}/swagger-ui-bundle.js",
                    css_url=f"{SWAGGER}/swagger-ui.css",
                    standalone_preset_js_url=f"{SWAGGER}/swagger-ui-standalone-preset.js",
                    favicon="<link rel='icon' href='/static/favicon.svg'>",
                )
            ],
        ),
        debug=False,
    )
    app.state.jwt_auth = jwt_auth
    # Modules, routes and settings live as long as the process: keep them out of the
    # cyclic collector's full passes, which otherwise rescan them while a request or a
    # district batch allocates (a tenth of the demo district's interest run).
    gc.freeze()
    return app
