"""The one money type and the one area type: integers inside, two-decimal strings outside.

Money is kept in fen (分) and floor area in hundredths of a square metre. Requests may
send a string or a JSON number with at most two decimals; anything else is refused with
the field named, never rounded.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from service.errors import InputError

MAX_FEN = 10**15  # ten trillion yuan: far above any district's fund, far below int64
MAX_AREA_HUNDREDTHS = 10**9  # ten million m²
MAX_FACTOR_HUNDREDTHS = 10_000  # a sharing coefficient of at most 100.00


_PLAIN = re.compile(r"\A-?[0-9]{1,16}(\.[0-9]{1,2})?\Z")


def _hundredths(value: object, field: str, *, allow_zero: bool, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (Decimal, str, int)):
        raise InputError(field, "应为带至多两位小数的数字或字符串")
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in {"nan", "inf", "infinity", "-inf", "-infinity", "+inf"}:
            raise InputError(field, "不能是 NaN 或无穷大")
        # Plain ASCII digits only: no exponents, signs, underscores or full-width digits.
        if not _PLAIN.match(text):
            if re.match(r"\A-?[0-9]+\.[0-9]{3,}\Z", text):
                raise InputError(field, "最多两位小数")
            raise InputError(field, "不是有效的金额或面积（应形如 1234.50）")
        value = text
    try:
        number = Decimal(value) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise InputError(field, "不是有效的数字") from None
    if not number.is_finite():
        raise InputError(field, "不能是 NaN 或无穷大")
    if number.adjusted() > 15:
        raise InputError(field, "数值过大")
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and number != number.quantize(Decimal("0.01")):
        raise InputError(field, "最多两位小数")
    if number < 0 or (number == 0 and not allow_zero):
        raise InputError(field, "必须大于零" if not allow_zero else "不能为负数")
    scaled = int(number.scaleb(2))
    if scaled > maximum:
        raise InputError(field, "数值过大")
    return scaled


def parse_fen(value: object, field: str, *, allow_zero: bool = False) -> int:
    """Yuan as string or number with at most two decimals → integer fen."""
    return _hundredths(value, field, allow_zero=allow_zero, maximum=MAX_FEN)


def parse_area(value: object, field: str) -> int:
    """Square metres with at most two decimals → integer hundredths of m² (> 0)."""
    return _hundredths(value, field, allow_zero=False, maximum=MAX_AREA_HUNDREDTHS)


def parse_factor(value: object, field: str) -> int:
    """A sharing coefficient (e.g. a floor's, ``"0.5"``) with at most two decimals, zero
    allowed → integer hundredths (50)."""
    return _hundredths(value, field, allow_zero=True, maximum=MAX_FACTOR_HUNDREDTHS)


def format_hundredths(value: int) -> str:
    """Integer hundredths → ``"1234.50"`` (also for negatives, ``"-0.05"``)."""
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}{whole}.{cents:02d}"


format_yuan = format_hundredths
format_area = format_hundredths
format_factor = format_hundredths
