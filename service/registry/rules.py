"""Pure rules of the registry: owner identity numbers (GB 11643) and how they are shown."""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT_18 = re.compile(r"^\d{17}[\dX]$")
_RESIDENT_15 = re.compile(r"^\d{15}$")
# 统一社会信用代码 (GB 32100): selling units and developers own flats too.
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")


def resident_check_digit(first17: str) -> str:
    """The check character of an 18-digit resident identity number (GB 11643-1999)."""
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def normalise_id_no(raw: str) -> str | None:
    """Canonical form of an owner's identity number, or None when it is not valid.

    Accepts an 18-digit resident identity number with a correct check character, a
    15-digit (pre-1999) one, or an organisation's unified social credit code.
    """
    value = raw.strip().upper().replace(" ", "")
    if _RESIDENT_18.match(value):
        return value if resident_check_digit(value[:17]) == value[17] else None
    if _RESIDENT_15.match(value) or _CREDIT_CODE.match(value):
        return value
    return None


def mask_id_no(value: str) -> str:
    """Show the first four and last four characters only: ``4103**********1234``."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(name: str) -> str:
    """An owner's name as published to neighbours: first and last character kept, the
    rest starred: 张小明 → ``张*明``, 欧阳小明 → ``欧**明``, 张伟 → ``张*``. Publicity
    notices show no more of an owner than this (no identity numbers, no phones)."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def id_digest(value: str, pepper: str) -> str:
    """Keyed digest that recognises one owner across flats without storing the number."""
    return hmac.new(pepper.encode(), value.encode(), hashlib.sha256).hexdigest()


def household_label(building: str, unit_no: str, room_no: str) -> str:
    """A flat as people write it: ``3号楼 2单元 501室``."""
    unit = f"{unit_no}单元" if unit_no.isdigit() else unit_no
    return f"{building} {unit} {room_no}室"


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key putting room 201 after 102 and building 10 after 9."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"([0-9]+)", text))
