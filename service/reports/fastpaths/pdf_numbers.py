"""Floats written once per render: the ``numbers`` fast path.

pydyf writes every number through ``_to_bytes``; a float's bytes depend on the float
alone, so within a render they are kept. Safe because anything but a float is written as
pydyf writes it.
"""

from __future__ import annotations

from typing import Any

from service.reports.fastpaths import state


def install_numbers() -> None:
    """Write each float once per render.

    pydyf writes every number of a page's operations and of the document's objects
    through ``_to_bytes`` (a float: ``f"{x:f}"`` without trailing zeros, or the integer).
    A ledger writes the same column positions, widths, colours and row heights thousands
    of times; within a render a float's bytes are kept. Anything else (integers, names,
    objects) is written by pydyf's own function, bytes and integers as it writes them."""
    import pydyf

    original = pydyf._to_bytes

    def _to_bytes(item: Any) -> bytes:
        kind = type(item)
        if kind is bytes:
            return item  # type: ignore[no-any-return]
        if kind is int:
            return str(item).encode("ascii")
        if kind is float:
            memo = state.CURRENT
            numbers = memo.numbers if memo is not None else None
            if numbers is not None:
                found = numbers.get(item)
                if found is None:
                    found = numbers[item] = original(item)
                return found
        return original(item)  # type: ignore[no-any-return]

    state.ORIGINALS["_to_bytes"] = original
    pydyf._to_bytes = _to_bytes
