"""Households with where they are, as people name them (``3号楼 2单元 501室``)."""

from __future__ import annotations

from typing import Any

from piccolo.custom_types import Combinable

from service.registry.rules import household_label, natural_key
from service.registry.tables import Household


async def flats(condition: Combinable, limit: int = 5000) -> list[dict[str, Any]]:
    """The households meeting ``condition`` (a scope condition, or one id), with their
    building, community and owner names and a ``label``, in natural order."""
    rows: list[dict[str, Any]] = await (
        Household.select(
            Household.id,
            Household.community,
            Household.building,
            Household.unit_no,
            Household.room_no,
            Household.floor_area,
            Household.building.name.as_alias("building_name"),
            Household.community.name.as_alias("community_name"),
            Household.owner.name.as_alias("owner_name"),
            Household.owner.id_masked.as_alias("owner_id_masked"),
        )
        .where(condition)
        .limit(limit)
    )
    for row in rows:
        row["label"] = household_label(row["building_name"], row["unit_no"], row["room_no"])
    return sorted(rows, key=lambda r: natural_key(r["label"]))
