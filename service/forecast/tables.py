"""A district's own component life-cycle data for the fund forecast: one row per
component it changed; a component without a row keeps our default (``rules.LIFECYCLE``)."""

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from service.registry.tables import District


class LifecycleComponent(Table, tablename="lifecycle_component"):
    """One component's life in years and renewal cost per m² of floor area, for a
    district (unique per district and component, by index)."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    component = Varchar(length=20)
    life_years = Integer()
    cost_fen_per_m2 = BigInt()
    updated_by = UUID()
    updated_at = Timestamptz()
