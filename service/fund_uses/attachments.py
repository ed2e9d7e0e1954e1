"""Attachments of a fund use (quotes, photos, acceptance records), kept on disk under
``var/attachments/`` and checked by size and by their actual content, not their name."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote
from uuid import UUID, uuid4

import msgspec
from litestar import Response
from piccolo.columns import UUID as UUIDColumn
from piccolo.columns import BigInt, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from service.audit.service import record
from service.auth.roles import Caller
from service.clock import now
from service.config import get_settings
from service.db import transaction
from service.errors import InputError
from service.fund_uses.tables import FundUse

MAX_ATTACHMENT_BYTES = 8 * 1024 * 1024
KINDS = ("quote", "photo", "acceptance", "other")

# Magic numbers of what a clerk uploads: PDF documents, JPEG and PNG photos.
SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)


class FundAttachment(Table, tablename="fund_attachment"):
    id = UUIDColumn(primary_key=True)
    fund_use = ForeignKey(FundUse, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=12)
    filename = Varchar(length=200)
    content_type = Varchar(length=40)
    size = BigInt()
    sha256 = Varchar(length=64)
    stored_as = Varchar(length=200)
    uploaded_by = UUIDColumn()
    uploaded_at = Timestamptz()


class AttachmentOut(msgspec.Struct):
    id: UUID
    fund_use_id: UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str


def attachments_root() -> Path:
    return Path(get_settings().attachments_dir)


def sniff(content: bytes) -> tuple[str, str] | None:
    """(content type, extension) recognised from the first bytes, or None."""
    for magic, media_type, extension in SIGNATURES:
        if content.startswith(magic):
            return media_type, extension
    return None


def safe_filename(name: str | None) -> str:
    """The uploaded name for display only (never used as a path)."""
    base = Path(name or "附件").name
    return re.sub(r"[\x00-\x1f\x7f]", "", base)[:200] or "附件"


def attachment_out(row: dict[str, Any]) -> AttachmentOut:
    return AttachmentOut(
        id=row["id"],
        fund_use_id=row["fund_use"],
        kind=row["kind"],
        filename=row["filename"],
        content_type=row["content_type"],
        size=int(row["size"]),
        sha256=row["sha256"],
    )


async def attach(
    caller: Caller, use: dict[str, Any], kind: str, filename: str | None, content: bytes
) -> AttachmentOut:
    """Store one file for the use; refuse empty, oversized or unrecognised content."""
    if kind not in KINDS:
        raise InputError("kind", "应为 " + " | ".join(KINDS) + " 之一")
    if not content:
        raise InputError("file", "文件为空")
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InputError("file", f"附件不能超过 {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
    recognised = sniff(content)
    if recognised is None:
        raise InputError("file", "只接受 PDF、JPEG 或 PNG 文件（按文件内容识别）")
    media_type, extension = recognised
    attachment_id = uuid4()
    relative = Path(str(use["id"])) / f"{attachment_id}{extension}"
    target = attachments_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".part")
    temporary.write_bytes(content)
    row = FundAttachment(
        id=attachment_id,
        fund_use=use["id"],
        kind=kind,
        filename=safe_filename(filename),
        content_type=media_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        stored_as=str(relative),
        uploaded_by=caller.id,
        uploaded_at=now(),
    )
    try:
        async with transaction():
            await row.save()
            await record(
                caller,
                "fund_use.attach",
                "fund_use",
                use["id"],
                after={"attachment": attachment_id, "kind": kind, "sha256": row.sha256},
            )
        temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)
    return attachment_out(row.to_dict())


async def attachment_response(
    use: dict[str, Any], attachment_id: UUID, disposition: str = "attachment"
) -> Response[bytes]:
    """The stored file as an answer under its uploaded name (API and pages)."""
    row, content = await read_attachment(use, attachment_id)
    return Response(
        content,
        media_type=row["content_type"],
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(row['filename'])}"
        },
    )


async def read_attachment(use: dict[str, Any], attachment_id: UUID) -> tuple[dict[str, Any], bytes]:
    row = (
        await FundAttachment.select()
        .where((FundAttachment.id == attachment_id) & (FundAttachment.fund_use == use["id"]))
        .first()
    )
    if row is None:
        from litestar.exceptions import NotFoundException

        raise NotFoundException("附件不存在。")
    return row, (attachments_root() / row["stored_as"]).read_bytes()
