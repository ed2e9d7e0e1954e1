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


def format_grouped(value: int) -> str:
    """Integer hundredths → ``"1,234.50"``: thousands separated, as documents print
    amounts (the API keeps ``format_hundredths``' plain form)."""
    sign = "-" if value < 0 else ""
    whole, cents = divmod(abs(value), 100)
    return f"{sign}{whole:,}.{cents:02d}"


format_yuan = format_hundredths
format_area = format_hundredths
format_factor = format_hundredths


# --- Request fields: the one decoding path for amounts, areas, rates and scores ---------
#
# API.md: an amount is a plain ASCII string with at most two decimals, or a JSON number
# with at most two decimals. msgspec's own Decimal would take full-width digits, ``1_000``,
# ``1e2``, ``+1.00``, ``.5`` and surrounding blanks before ``parse_fen`` ever saw them, so
# request structs declare these fields with the types below instead: msgspec hands the
# raw JSON value to ``decode_hundredths`` (see ``service.requests``), which admits exactly
# what the OpenAPI document says (``service.openapi`` draws the schema from the same
# class attributes). ``parse_fen``/``parse_area`` still apply each field's own bounds.


class Hundredths(Decimal):
    """A request value in hundredths (yuan, m², scores, ratios): zero or more, two decimals."""

    positive = False
    integer_digits = 13  # below 10**13: MAX_FEN fen
    description = '两位小数以内的非负数：字符串（如 "1234.50"）或 JSON 数字'

    @classmethod
    def pattern(cls) -> str:
        whole = f"(0|[1-9][0-9]{{0,{cls.integer_digits - 1}}})"
        if not cls.positive:
            return rf"^{whole}(\.[0-9]{{1,2}})?$"
        # Positive: a non-zero whole part, or 0 with a non-zero fraction.
        nonzero = f"[1-9][0-9]{{0,{cls.integer_digits - 1}}}"
        return rf"^({nonzero}(\.[0-9]{{1,2}})?|0\.(0[1-9]|[1-9][0-9]?))$"

    @classmethod
    def maximum(cls) -> Decimal:
        return Decimal(10**cls.integer_digits) - Decimal("0.01")


class Money(Hundredths):
    """Yuan, zero or more (fees, rates, retention)."""

    description = '金额（元），两位小数以内，可为 0：字符串（如 "1234.50"）或 JSON 数字'


class PositiveMoney(Hundredths):
    """Yuan, more than zero (deposits, costs, payments)."""

    positive = True
    description = '金额（元），大于 0，两位小数以内：字符串（如 "1234.50"）或 JSON 数字'


class Area(Hundredths):
    """Floor area in m², more than zero, below ten million."""

    positive = True
    integer_digits = 7
    description = '面积（平方米），大于 0，两位小数以内：字符串（如 "86.40"）或 JSON 数字'


class Score(Hundredths):
    """A score, band bound or ratio, zero or more, two decimals."""

    integer_digits = 4
    description = '分值或比例，两位小数以内，可为 0：字符串（如 "85.50"）或 JSON 数字'


class PositiveScore(Score):
    """A score sheet item's maximum, more than zero."""

    positive = True
    description = '分值，大于 0，两位小数以内：字符串（如 "20.00"）或 JSON 数字'


class Factor(Hundredths):
    """A sharing coefficient (a lift's per-floor factor): 0 to 100.00, two decimals."""

    integer_digits = 3
    description = '系数，0 至 100，两位小数以内：字符串（如 "0.50"）或 JSON 数字'

    @classmethod
    def maximum(cls) -> Decimal:
        return Decimal(MAX_FACTOR_HUNDREDTHS).scaleb(-2)


_PATTERNS: dict[type[Hundredths], re.Pattern[str]] = {}


def _pattern_of(kind: type[Hundredths]) -> re.Pattern[str]:
    if kind not in _PATTERNS:
        _PATTERNS[kind] = re.compile(kind.pattern())
    return _PATTERNS[kind]


def decode_hundredths(kind: type[Hundredths], value: object) -> Hundredths:
    """The raw JSON value of a ``Hundredths`` field, admitted or refused (ValueError with
    the message the 422 names the field with)."""
    if isinstance(value, bool):
        raise ValueError("应为带至多两位小数的数字或字符串，不能是布尔值")
    if isinstance(value, str):
        if not _pattern_of(kind).match(value):
            if re.match(r"\A[0-9]+\.[0-9]{3,}\Z", value):
                raise ValueError("最多两位小数")
            if re.match(r"\A-[0-9]+(\.[0-9]+)?\Z", value):
                raise ValueError("不能为负数")
            if kind.positive and re.match(r"\A0+(\.0*)?\Z", value):
                raise ValueError("必须大于零")
            raise ValueError(
                "不是有效的数值：应为只含半角数字、至多两位小数的字符串（如 1234.50），"
                "不带正负号、空格、下划线或指数"
            )
        return kind(value)
    if isinstance(value, (int, Decimal)):
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError("不能是 NaN 或无穷大")
        if number < 0:
            raise ValueError("不能为负数")
        if kind.positive and number == 0:
            raise ValueError("必须大于零")
        if number > kind.maximum():
            raise ValueError("数值过大")
        if number != number.quantize(Decimal("0.01")):
            raise ValueError("最多两位小数")
        return kind(number)
    raise ValueError("应为带至多两位小数的数字或字符串")
