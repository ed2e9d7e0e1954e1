"""A district's component life-cycle data for the forecast: our defaults
(``rules.LIFECYCLE``) with the district's own rows laid over them."""

from __future__ import annotations

from uuid import UUID

from service.audit.service import record
from service.auth.roles import Caller
from service.clock import now
from service.db import is_postgres, transaction
from service.errors import InputError
from service.forecast import rules, schemas
from service.forecast.tables import LifecycleComponent
from service.registry.tables import District
from service.units import format_yuan, parse_fen


async def lifecycle(district_id: UUID) -> tuple[tuple[rules.Component, ...], frozenset[str]]:
    """The district's table and which of its components are the district's own."""
    rows = await LifecycleComponent.select().where(LifecycleComponent.district == district_id)
    own = {
        str(r["component"]): (int(r["life_years"]), int(r["cost_fen_per_m2"]))
        for r in rows
        if str(r["component"]) in rules.COMPONENTS
    }
    return rules.lifecycle_with(own), frozenset(own)


def lifecycle_out(
    table: tuple[rules.Component, ...], own: frozenset[str]
) -> list[schemas.LifecycleOut]:
    return [
        schemas.LifecycleOut(
            component=c.key,  # type: ignore[arg-type]
            name=c.name,
            life_years=c.life_years,
            cost_per_m2=format_yuan(c.cost_fen_per_m2),
            source="district" if c.key in own else "default",
        )
        for c in table
    ]


async def replace_lifecycle(caller: Caller, data: schemas.ForecastSettingsIn) -> None:
    """Replace the district's own life-cycle rows with ``data`` (one transaction, the
    district's row locked, audited); a component not listed goes back to our default."""
    given: dict[str, tuple[int, int]] = {}
    for index, item in enumerate(data.lifecycle):
        if item.component in given:
            raise InputError(f"lifecycle[{index}].component", "同一部件只能出现一次")
        cost = parse_fen(item.cost_per_m2, f"lifecycle[{index}].cost_per_m2")
        given[item.component] = (item.life_years, cost)
    async with transaction():
        query = District.select(District.id).where(District.id == caller.district_id)
        if is_postgres():
            query = query.lock_rows()
        await query.first()
        _, before_own = await lifecycle(caller.district_id)
        before = await LifecycleComponent.select(
            LifecycleComponent.component,
            LifecycleComponent.life_years,
            LifecycleComponent.cost_fen_per_m2,
        ).where(LifecycleComponent.district == caller.district_id)
        await LifecycleComponent.delete().where(LifecycleComponent.district == caller.district_id)
        stamp = now()
        if given:
            await LifecycleComponent.insert(
                *[
                    LifecycleComponent(
                        district=caller.district_id,
                        component=key,
                        life_years=life,
                        cost_fen_per_m2=cost,
                        updated_by=caller.id,
                        updated_at=stamp,
                    )
                    for key, (life, cost) in sorted(given.items())
                ]
            )
        await record(
            caller,
            "forecast.lifecycle",
            "district",
            caller.district_id,
            before={"lifecycle": before} if before_own else None,
            after={"lifecycle": {k: list(v) for k, v in sorted(given.items())}},
        )
