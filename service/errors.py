"""The one error format: RFC 9457 problem+json with a Chinese title and an actionable detail.

Validation failures (including unknown fields and malformed bodies) answer 422 with an
``errors`` list of ``{field, message}``; database integrity violations answer 409.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_500_INTERNAL_SERVER_ERROR,
)

logger = logging.getLogger("changxiao")

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "请求无效",
    401: "未登录或登录已失效",
    403: "无权执行此操作",
    404: "未找到",
    405: "不支持的请求方法",
    409: "与现有数据冲突",
    413: "上传内容过大",
    415: "不支持的内容类型",
    422: "输入有误",
    429: "请求过于频繁",
    500: "服务器内部错误",
    503: "服务暂不可用",
}


class InputError(ValidationException):
    """One or more named fields are wrong: 422 with ``errors``."""

    def __init__(self, field: str, message: str, *, more: list[dict[str, str]] | None = None):
        errors = [{"field": field, "message": message}, *(more or [])]
        super().__init__(detail=f"{field}: {message}", extra=errors)


class InputErrors(ValidationException):
    """Several field errors collected together (e.g. every bad row of an import)."""

    def __init__(self, detail: str, errors: list[dict[str, str]]):
        super().__init__(detail=detail, extra=errors)


class Conflict(HTTPException):
    status_code = HTTP_409_CONFLICT


def problem(
    status: int,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": TITLES.get(status, "错误"),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return Response(content=body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# msgspec's messages, said in Chinese. Every one the decoder gives starts with
# ``DECODER_REFUSAL`` (the contract suite tells a decoder's refusal from a rule's by it).
DECODER_REFUSAL = "格式不符："
_TYPES = {
    "str": "文本",
    "int": "整数",
    "float": "数字",
    "decimal": "数字",
    "bool": "true 或 false",
    "null": "null",
    "array": "数组",
    "object": "对象",
    "uuid": "UUID",
}
_BOUNDS = {"<=": "不能大于", ">=": "不能小于", "<": "应小于", ">": "应大于"}
_MESSAGES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"Object missing required field `([^`]*)`"), lambda m: f"缺少必填字段 {m[1]}"),
    (re.compile(r"Object contains unknown field `([^`]*)`"), lambda m: f"不允许的字段 {m[1]}"),
    (re.compile(r"Invalid UUID"), lambda m: "不是有效的 UUID"),
    (re.compile(r"Invalid RFC3339 encoded date\b(?!time)"), lambda m: "日期格式应为 YYYY-MM-DD"),
    (re.compile(r"Invalid RFC3339 encoded datetime"), lambda m: "时间格式应为 ISO 8601（带时区）"),
    (re.compile(r"Invalid decimal string"), lambda m: "不是有效的数字"),
    (re.compile(r"Invalid enum value '?([^']*)'?"), lambda m: f"不是允许的取值（{m[1]}）"),
    (re.compile(r"Expected `str` matching regex"), lambda m: "含有不允许的字符，或格式不对"),
    (
        re.compile(r"Expected `(str|array|object)` of length (<=|>=) (\d+)"),
        lambda m: (
            f"长度{'不能超过' if m[2] == '<=' else '不能少于'} {m[3]}"
            + ("个字符" if m[1] == "str" else "项")
        ),
    ),
    (
        re.compile(r"Expected `(int|float|decimal)` (<=|>=|<|>) (\S+)"),
        lambda m: f"{_BOUNDS[m[2]]} {m[3]}",
    ),
    (
        re.compile(r"Expected `([^`]*)`, got `([^`]*)`"),
        lambda m: (
            "应为"
            + "或".join(_TYPES.get(t.strip(), t.strip()) for t in m[1].split("|"))
            + f"，不能是{_TYPES.get(m[2], m[2])}"
        ),
    ),
    (
        re.compile(r"Missing required (?:query |path |header |cookie )?parameter '([^']*)'"),
        lambda m: f"缺少必填参数 {m[1]}",
    ),
    (re.compile(r"Expected"), lambda m: "类型或取值不符"),
)


def _chinese(message: str) -> str:
    """msgspec's message in Chinese, prefixed ``DECODER_REFUSAL``; a message of another
    origin (already Chinese, or not msgspec's) is returned as it is."""
    for pattern, say in _MESSAGES:
        found = pattern.search(message)
        if found:
            return DECODER_REFUSAL + say(found)
    return message


def _field_errors(extra: Any) -> list[dict[str, str]]:
    """Normalise Litestar/msgspec validation extras into ``{field, message}``."""
    errors: list[dict[str, str]] = []
    items = extra if isinstance(extra, list) else [extra] if extra else []
    for item in items:
        if not isinstance(item, dict):
            errors.append({"field": "", "message": str(item)})
            continue
        if "field" in item:
            errors.append({"field": str(item["field"]), "message": str(item.get("message", ""))})
            continue
        key = item.get("key") or ""
        message = str(item.get("message", ""))
        # msgspec names the body field inside the message; Litestar's key is just "data".
        message = message.removesuffix(" - at `$`")
        if " - at `$." in message:
            key = message.rsplit(" - at `$.", 1)[1].rstrip("`")
            message = message.rsplit(" - at `$.", 1)[0]
        if "unknown field `" in message or "missing required field `" in message:
            missing = message.split("`")[1]
            key = f"{key}.{missing}" if key and key != "data" else missing
        message = (
            "缺少请求体" if key == "data" and message.strip("'") == "data" else _chinese(message)
        )
        errors.append({"field": str(key), "message": message})
    return errors


def handle_validation(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = _field_errors(exc.extra)
    if isinstance(exc, (InputError, InputErrors)):
        detail = exc.detail
    elif errors:
        detail = "；".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
        )
    else:
        detail = "请求体不是有效的 JSON，或字段类型不符。"
        errors = [{"field": "", "message": str(exc.detail)}]
    return problem(HTTP_422_UNPROCESSABLE_ENTITY, detail, errors)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def handle_http(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    detail = exc.detail if exc.detail and exc.detail != TITLES.get(exc.status_code) else ""
    if exc.status_code == 413:
        detail = "上传内容超过大小上限（10 MB），请拆分后再试。"
    elif exc.status_code == 401 and not _is_chinese(detail):
        detail = ""
    elif exc.status_code == 400 and "multipart" in detail:
        detail = "请求体应为 multipart/form-data，文件字段名为 file。"
    elif exc.status_code == 400 and not _is_chinese(detail):
        detail = f"请求格式无效（{detail}）。"
    if exc.status_code == 405:
        detail = "该路径不支持此请求方法。"
    if not detail or detail in {"Not Found", "Unauthorized", "Forbidden"}:
        detail = {
            401: "请先登录，并在 Authorization 头中携带 Bearer 令牌。",
            403: "当前角色无权执行此操作。",
            404: "对象不存在，或不在您的权限范围内。",
        }.get(exc.status_code, TITLES.get(exc.status_code, "错误"))
    return problem(exc.status_code, detail, headers=dict(exc.headers or {}) or None)


def _is_data_error(exc: BaseException) -> bool:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, asyncpg.exceptions.DataError)


def handle_internal(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    from service.db import is_integrity_error

    if is_integrity_error(exc):
        return problem(
            HTTP_409_CONFLICT, "与已有记录冲突（重复的编号或仍被引用的对象），未做任何修改。"
        )
    if isinstance(exc, (UnicodeDecodeError, RecursionError)) or _is_data_error(exc):
        return problem(
            HTTP_422_UNPROCESSABLE_ENTITY,
            "输入含有无法处理的字符或结构，未做任何修改。",
            [{"field": "body", "message": str(exc)[:200]}],
        )
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return problem(HTTP_500_INTERNAL_SERVER_ERROR, "服务器内部错误，已记录，请稍后再试。")


EXCEPTION_HANDLERS = {
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_internal,
}

__all__ = ["PROBLEM_JSON", "Conflict", "InputError", "InputErrors", "MediaType", "problem"]
