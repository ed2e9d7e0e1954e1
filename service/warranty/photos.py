"""Photos of a repair report, kept on disk beside the other attachments and named in
the ticket's ``photos`` list; recognised by content (JPEG or PNG), never by name."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import uuid4

from litestar.exceptions import NotFoundException

from service.errors import InputError
from service.fund_uses.attachments import attachments_root, sniff

PHOTO_DIR = "repair-photos"
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 9
IMAGE_TYPES = ("image/jpeg", "image/png")
STORED_NAME = re.compile(rf"^{PHOTO_DIR}/[0-9a-f-]{{36}}\.(jpg|png)$")


def store_photos(contents: list[bytes]) -> list[str]:
    """Check and keep the photos; return their names for the ticket."""
    if len(contents) > MAX_PHOTOS:
        raise InputError("photos", f"最多上传 {MAX_PHOTOS} 张照片")
    checked = []
    for content in contents:
        recognised = sniff(content)
        if recognised is None or recognised[0] not in IMAGE_TYPES:
            raise InputError("photos", "照片只接受 JPEG 或 PNG（按文件内容识别）")
        if len(content) > MAX_PHOTO_BYTES:
            raise InputError("photos", "每张照片不能超过 8 MB")
        checked.append((content, recognised[1]))
    folder = attachments_root() / PHOTO_DIR
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for content, extension in checked:
        name = f"{PHOTO_DIR}/{uuid4()}{extension}"
        temporary = attachments_root() / f"{name}.part"
        temporary.write_bytes(content)
        temporary.replace(attachments_root() / name)
        names.append(name)
    return names


def ticket_photos(ticket: dict[str, Any]) -> list[str]:
    """The ticket's photo names (the JSON column reads back as text on both engines)."""
    value = ticket["photos"]
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return [str(p) for p in value or []]


def read_photo(ticket: dict[str, Any], index: int) -> tuple[str, bytes]:
    """The ticket's ``index``-th photo as (content type, bytes); 404 when it has none."""
    photos = ticket_photos(ticket)
    # API clients may name photos by URL: only the names this module stored are files.
    if not 0 <= index < len(photos) or not STORED_NAME.match(str(photos[index])):
        raise NotFoundException("照片不存在。")
    path = attachments_root() / str(photos[index])
    if not path.is_file():
        raise NotFoundException("照片不存在。")
    content = path.read_bytes()
    recognised = sniff(content)
    return (recognised[0] if recognised else "application/octet-stream"), content
