"""Household ledger (台账) import and export — placeholder, replaced by the ledger module."""

from litestar import Controller


class LedgerController(Controller):
    path = "/communities"
