"""The reference cycles of a finished render broken: the ``cycles`` fast path.

WeasyPrint's layout contexts and laid-out tables sit in reference cycles that keep all a
render made (boxes, styles) for the garbage collector to trace. Each one a render makes
is noted, and when the render ends (the PDF written, nothing reading them again) the
cycles are cut, so reference counting frees what hung from them at once. ``let_go``, run
as every render ends, also gives back the Pango fonts the ``fonts`` fast path held.
"""

from __future__ import annotations

from typing import Any

from service.reports.fastpaths import state
from service.reports.fastpaths.fonts import release_fonts
from service.reports.fastpaths.state import Memo


def install_cycles() -> None:
    """Note each layout context and laid-out table a render makes, for ``let_go``.

    Two kinds of reference cycle keep what a render made alive after it: WeasyPrint's
    ``LayoutContext`` holds a partial function that holds the context (its image getter),
    and each laid-out table's columns hold a function that holds the table (their
    ``get_cells``). Everything reached from them (the styles of every element, every
    table's boxes: some fifty thousand objects for a 380-household ledger) outlives the
    render until the garbage collector traces all of it and finds it unreachable."""
    from weasyprint import layout
    from weasyprint.layout import table

    original_init = layout.LayoutContext.__init__
    original_table = table.table_layout

    def layout_context_init(self: Any, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        made = state.CURRENT.cycles if state.CURRENT is not None else None
        if made is not None:
            made.append(self)

    def table_layout(*args: Any, **kwargs: Any) -> Any:
        result = original_table(*args, **kwargs)
        made = state.CURRENT.cycles if state.CURRENT is not None else None
        if made is not None and result[0] is not None:
            made.append(result[0])
        return result

    state.ORIGINALS["LayoutContext.__init__"] = original_init
    layout.LayoutContext.__init__ = layout_context_init
    state.rebind(table, "table_layout", original_table, table_layout)


def let_go(memo: Memo) -> None:
    """Break the cycles of a finished render (``install_cycles``): the layout contexts'
    attributes and the laid-out tables' column functions are dropped, and reference
    counting frees what hung from them at once, leaving the collection after the render
    little to trace. Nothing reads them after the render: the PDF is written by then."""
    from weasyprint.formatting_structure import boxes

    release_fonts(memo)
    for made in memo.cycles or ():
        if isinstance(made, boxes.TableBox):
            for group in made.column_groups:
                for column in group.children:
                    column.__dict__.pop("get_cells", None)
        else:
            made.__dict__.clear()
