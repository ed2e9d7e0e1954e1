"""Subsidies paid by the rating (DOMAIN.md "Quality rating and subsidy").

The table is registered in the ratings Piccolo app (``service/ratings/piccolo_app.py``),
whose migrations created it.
"""

from piccolo.columns import UUID, BigInt, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from service.contracts.tables import Contract
from service.ratings.tables import Rating, RatingPeriod
from service.registry.tables import Community, District, Organization


class Subsidy(Table, tablename="subsidy"):
    """A subsidy computed for a finalised period; released rows are immutable."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    period = ForeignKey(RatingPeriod, on_delete=OnDelete.restrict, index=True)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict, index=True)
    rating = ForeignKey(Rating, on_delete=OnDelete.restrict, index=True)
    company = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    rate_fen_per_m2_month = BigInt()
    served_area = BigInt()  # hundredths of m²
    served_days = Integer()
    period_days = Integer()
    months_in_period = Integer()
    # The exact months served as a fraction ("46/31": 17 May - 30 June); empty on rows
    # computed before months were counted month by month.
    months_served = Varchar(length=40, default="")
    base = BigInt()  # fen
    ratio = Integer()  # percent
    amount = BigInt()  # fen
    status = Varchar(length=16, default="computed")  # computed | approved | released
    computed_by = UUID()
    computed_at = Timestamptz()
    approved_by = UUID(null=True, default=None)
    approved_at = Timestamptz(null=True, default=None)
    released_by = UUID(null=True, default=None)
    released_at = Timestamptz(null=True, default=None)
