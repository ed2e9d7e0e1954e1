"""A district's repair policy: due times by urgency and the heating/cooling seasons.

Data, editable by the bureau; the defaults (rules.py) apply until it is first set.
A changed policy applies to new works and tickets; registered warranty ends stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from piccolo.columns import Column

from service.audit.service import record
from service.auth.roles import Caller
from service.clock import now
from service.db import transaction
from service.errors import InputError
from service.warranty import rules, schemas
from service.warranty.tables import RepairPolicy


@dataclass(frozen=True)
class Policy:
    due_hours: dict[str, int]
    heating: rules.Season
    cooling: rules.Season


def _month_day(text: str, field: str) -> tuple[int, int]:
    try:
        month, day = (int(part) for part in text.split("-"))
        date(2000, month, day)
    except ValueError:
        raise InputError(field, "应为有效的月-日，如 11-15") from None
    return month, day


def policy_from_row(row: dict[str, Any] | None) -> Policy:
    if row is None:
        return Policy(dict(rules.DEFAULT_DUE_HOURS), rules.HEATING_SEASON, rules.COOLING_SEASON)
    return Policy(
        due_hours={"emergency": row["emergency_hours"], "normal": row["normal_hours"]},
        heating=rules.Season(
            _month_day(row["heating_start"], "heating_start"),
            _month_day(row["heating_end"], "heating_end"),
        ),
        cooling=rules.Season(
            _month_day(row["cooling_start"], "cooling_start"),
            _month_day(row["cooling_end"], "cooling_end"),
        ),
    )


async def policy_row(district_id: UUID) -> dict[str, Any] | None:
    row: dict[str, Any] | None = (
        await RepairPolicy.select().where(RepairPolicy.district == district_id).first()
    )
    return row


async def load_policy(district_id: UUID) -> Policy:
    """The district's due times and seasons (defaults when never set)."""
    return policy_from_row(await policy_row(district_id))


async def policy_out(district_id: UUID) -> schemas.PolicyOut:
    """The district's policy as set, or the defaults."""
    row = await policy_row(district_id)
    values = schemas.PolicyIn()
    return schemas.PolicyOut(
        **{
            field: row[field] if row else getattr(values, field)
            for field in schemas.PolicyOut.__struct_fields__
        }
    )


async def set_policy(caller: Caller, data: schemas.PolicyIn) -> None:
    """Set the district's due times and seasons; existing warranty ends are not rewritten."""
    for field in ("heating_start", "heating_end", "cooling_start", "cooling_end"):
        _month_day(getattr(data, field), field)
    values: dict[str, Any] = {
        "emergency_hours": data.emergency_hours,
        "normal_hours": data.normal_hours,
        "heating_start": data.heating_start,
        "heating_end": data.heating_end,
        "cooling_start": data.cooling_start,
        "cooling_end": data.cooling_end,
    }
    async with transaction():
        before = await policy_row(caller.district_id)
        if before is None:
            row = RepairPolicy(district=caller.district_id, updated_at=now())
            for field, value in values.items():
                setattr(row, field, value)
            await row.save()
        else:
            changes: dict[Column | str, Any] = {k: v for k, v in values.items()}
            changes["updated_at"] = now()
            await RepairPolicy.update(changes).where(RepairPolicy.id == before["id"])
        await record(
            caller,
            "repair_policy.set",
            "repair_policy",
            caller.district_id,
            before=before,
            after=values,
        )
