"""Elements found by tag name without wrapping every element: the ``queries`` fast path.

Before styling WeasyPrint looks for ``style``, ``link``, ``title`` and ``meta`` elements
with cssselect2's ``query_all``, wrapping and testing every element of the document. A
bare element name tests the element alone, so subtrees holding no such name are skipped
and the rest are tested as cssselect2 tests them, in the same order. Safe because any
selector other than a bare name goes cssselect2's own way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from service.reports.fastpaths import state

# A selector that is a bare element name (``style``, ``meta``): it tests the element alone.
BARE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")


def install_queries() -> None:
    """Find the elements of a few tag names without wrapping every element.

    Before styling, WeasyPrint looks for ``style`` and ``link`` elements, and for the
    metadata for ``title``, ``meta`` and ``link`` (cssselect2's ``query_all``): each time
    it wraps every element of the document in tree order and tests it, thousands of
    table cells for a ledger. A bare element name tests the element alone, so a subtree
    holding no element of such a name (compared without case or namespace, and any
    comment or processing instruction counted as one) gives nothing: here it is skipped,
    and the elements left are wrapped and tested as cssselect2 does, in the same order.
    Any other selector goes cssselect2's own way."""
    import cssselect2

    original = cssselect2.ElementWrapper.query_all

    def query_all(self: Any, *selectors: Any) -> Any:
        counted = state.CURRENT.queries if state.CURRENT is not None else None
        if (
            counted is None
            or not selectors
            or not all(type(s) is str and BARE_NAME.fullmatch(s) for s in selectors)
        ):
            return original(self, *selectors)
        counted[0] += 1
        tests = self._compile(selectors)
        names = {selector.lower() for selector in selectors}
        holding: set[int] = set()

        def holds(element: Any) -> bool:
            tag = element.tag
            found = type(tag) is not str or tag in names or "}" in tag or not tag.islower()
            for child in element:
                if holds(child):
                    found = True
            if found:
                holding.add(id(element))
            return found

        def walk(wrapper: Any) -> Iterator[Any]:
            if any(test(wrapper) for test in tests):
                yield wrapper
            for child in wrapper.iter_children():
                if id(child.etree_element) in holding:
                    yield from walk(child)

        holds(self.etree_element)
        return walk(self)

    state.ORIGINALS["query_all"] = original
    cssselect2.ElementWrapper.query_all = query_all
