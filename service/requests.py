"""The request class: JSON numbers are decoded as exact decimals, never floats.

Litestar decodes a body to Python values before converting it to the declared struct;
with floats, ``1.0000000000000000000000000000000000001`` would arrive as ``1.0`` and a
fourth decimal would silently vanish. Decoding with ``float_hook=Decimal`` keeps the
number exactly as sent, so ``service.units`` can refuse it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec
from litestar import Request
from litestar.types import Empty

from service.errors import InputError

_decoder = msgspec.json.Decoder(float_hook=Decimal)


class ExactRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        if self._json is Empty:
            if (cached := self._connection_state.json) is not Empty:
                self._json = cached
            else:
                body = await self.body()
                try:
                    value = _decoder.decode(body or b"null")
                except (msgspec.DecodeError, RecursionError, UnicodeDecodeError) as exc:
                    raise InputError("body", f"请求体不是有效的 JSON（{exc}）") from None
                self._json = self._connection_state.json = value
        return self._json
