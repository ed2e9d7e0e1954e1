"""Styles found once per element shape: the ``matching`` and ``cascade`` fast paths.

For every element WeasyPrint asks each stylesheet's matcher (cssselect2's
``Matcher.match``) which selectors match, then cascades the declarations into a style
(``StyleFor``). When no selector reads more than tags and attributes up the ancestor
chain (checked on the compiled selectors), elements of one shape match alike: the match
is kept by shape, and an element with only a ``class`` attribute under a parent style met
before gets the computed style of the earlier element of its shape. Safe because any
stylesheet with sibling, structural, ``:empty``, ``:has()`` or ``:lang()`` selectors,
any element with other attributes or pseudo-elements, and any document with
presentational hints go WeasyPrint's own way.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from service.reports.fastpaths import state
from service.reports.fastpaths.state import Memo

# What a compiled selector (cssselect2) may read of an element for its answer to depend only
# on the element's tag and attributes and those of its ancestors: type, class, id and
# attribute selectors, descendant and child combinators, :root, :link, :not() and :is() of
# those. Sibling, structural (:first-child, :nth-*), :empty, :has() and :lang() selectors
# read other names (previous, index, etree_children, iter_subtree, lang, ...).
SHAPE_NAMES = frozenset(
    (
        "local_name",
        "namespace_url",
        "classes",
        "id",
        "attrib",
        "etree_element",
        "get",
        "tag",
        "in_html_document",
        "ancestors",
        "parent",
        "any",
        "next",
    )
)


def _names(code: Any) -> set[str]:
    """Every name a code object and the code objects in it read."""
    found = set(code.co_names)
    for constant in code.co_consts:
        if hasattr(constant, "co_names"):
            found |= _names(constant)
    return found


def _by_shape(matcher: Any) -> bool:
    """Whether every selector of a cssselect2 matcher reads only an element's shape."""
    groups = [
        *matcher.id_selectors.values(),
        *matcher.class_selectors.values(),
        *matcher.lower_local_name_selectors.values(),
        *matcher.namespace_selectors.values(),
        matcher.lang_attr_selectors,
        matcher.other_selectors,
    ]
    return all(_names(entry[0].__code__) <= SHAPE_NAMES for group in groups for entry in group)


def _shape_of(memo: Memo, element: Any) -> int:
    """The number of an element's shape in this render: its tag and attributes and its
    parent's shape (a cssselect2 element wrapper)."""
    found = memo.shapes.get(id(element))
    if found is not None and found[0] is element:
        return found[1]
    parent = element.parent
    etree = element.etree_element
    made_of = (
        -1 if parent is None else _shape_of(memo, parent),
        etree.tag,
        tuple(etree.attrib.items()),
    )
    number = memo.shape_numbers.setdefault(made_of, len(memo.shape_numbers))
    memo.shapes[id(element)] = (element, number)
    return number


def _judged_by_shape(memo: Memo, matcher: Any) -> bool:
    """``_by_shape(matcher)``, judged once per render."""
    judged = memo.matchers.get(id(matcher))
    if judged is None or judged[0] is not matcher:
        judged = memo.matchers[id(matcher)] = (matcher, _by_shape(matcher))
    return judged[1]


def install_matching() -> None:
    """Match each distinct element against the stylesheets once per render.

    For every element WeasyPrint asks each stylesheet's matcher (cssselect2) which of its
    selectors match, testing them one by one. A ledger's cells differ only in their text:
    the same tag and class, under a row, a body and a table of the same tag and class. When
    no selector of a stylesheet reads more than tags and attributes up the ancestor chain
    (checked on the compiled selectors), two elements of the same shape (their own tag and
    attributes, and their parent's shape) match the same selectors, and the second gets
    the first one's answer. A stylesheet with any other selector is matched as before."""
    import cssselect2

    original = cssselect2.Matcher.match

    def match(self: Any, element: Any) -> Any:
        memo = state.CURRENT
        answers = memo.matching if memo is not None else None
        if answers is None:
            return original(self, element)
        if not _judged_by_shape(memo, self):  # type: ignore[arg-type]
            return original(self, element)
        key = (id(self), _shape_of(memo, element))  # type: ignore[arg-type]
        found = answers.get(key)
        if found is None:
            found = answers[key] = original(self, element)
        else:
            memo.matching_reused += 1  # type: ignore[union-attr]
        return found

    state.ORIGINALS["match"] = original
    cssselect2.Matcher.match = match


def install_cascade() -> None:
    """Give an element the computed style of a like element without cascading again.

    WeasyPrint's ``StyleFor`` walks the elements in tree order and, for each, gathers the
    declarations of every selector that matches it into a cascaded style, then looks for
    an equal computed style to share: one made for an element with the same parent style,
    the same ``style``/``lang``/``id`` declarations and the same matched selectors. When
    every stylesheet's selectors read only an element's shape (``matching``), an element
    with no attribute but ``class`` matches what the earlier element of its shape matched,
    so under the same parent style it gets that element's style: it is given it straight
    away, its cascade skipped (the cascaded styles are dropped after the walk anyway). An
    element whose selectors include a pseudo-element (its ``::before`` and the like are
    styled from its own cascade), an element with other attributes (they give declarations
    of their own) and a document with presentational hints go WeasyPrint's own way."""
    import cssselect2
    from weasyprint import css

    original_init = css.StyleFor.__init__
    original_subtree = cssselect2.ElementWrapper.iter_subtree

    def style_for_init(
        self: Any,
        html: Any,
        sheets: Any,
        presentational_hints: Any,
        font_config: Any,
        target_collector: Any,
    ) -> None:
        memo = state.CURRENT
        if memo is None or memo.cascade is None or memo.matching is None or presentational_hints:
            original_init(self, html, sheets, presentational_hints, font_config, target_collector)
            return
        memo.styling = (self, html.wrapper_element, sheets)
        try:
            original_init(self, html, sheets, presentational_hints, font_config, target_collector)
        finally:
            memo.styling = None

    def iter_subtree(self: Any) -> Iterator[Any]:
        memo = state.CURRENT
        styling = memo.styling if memo is not None else None
        if memo is None or styling is None or styling[1] is not self:
            yield from original_subtree(self)
            return
        memo.styling = None  # the cascade's own walk only
        lookup, _root, sheets = styling
        matchers = [sheet.matcher for sheet, _origin, _specificity in sheets]
        known, answers = memo.cascade, memo.matching
        if (
            known is None
            or answers is None
            or not all(_judged_by_shape(memo, matcher) for matcher in matchers)
        ):
            yield from original_subtree(self)
            return
        computed = lookup._computed_styles
        for element in original_subtree(self):
            etree = element.etree_element
            parent = element.parent
            if parent is None or type(etree.tag) is not str or not etree.attrib.keys() <= {"class"}:
                yield element
                continue
            shape = _shape_of(memo, element)
            key = (id(computed[parent.etree_element, None]), shape)
            found = known.get(key)
            if found is not None:
                computed[etree, None] = found
                memo.cascade_reused += 1
                continue
            yield element
            # The walk comes back here once WeasyPrint has styled the element.
            matched = [answers.get((id(matcher), shape)) for matcher in matchers]
            if all(
                found is not None and all(selector[2] is None for selector in found)
                for found in matched
            ):
                known[key] = computed[etree, None]

    css.StyleFor.__init__ = style_for_init
    cssselect2.ElementWrapper.iter_subtree = iter_subtree
    state.ORIGINALS["StyleFor.__init__"] = original_init
    state.ORIGINALS["iter_subtree"] = original_subtree
