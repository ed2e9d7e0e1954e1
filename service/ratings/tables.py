"""Rating schemes, periods, ratings, appeals, owner satisfaction and subsidies.

Scores are integer hundredths of a point, ratios integer percent, money integer fen.
"""

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from service.contracts.tables import Contract
from service.registry.tables import Community, District, Household, Organization


class RatingScheme(Table, tablename="rating_scheme"):
    """One version of the weighted score sheet and its grade bands (data, never edited).

    ``items``: [{code, name, max_score}] (hundredths); ``bands``: [{min_score, grade,
    ratio}] (min_score hundredths, ratio percent).
    """

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    version = Integer()
    items = JSON(default=[])
    bands = JSON(default=[])
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()


class RatingPeriod(Table, tablename="rating_period"):
    """A rating period; it keeps the scheme version it was opened with."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    name = Varchar(length=100)
    starts_on = Date()
    ends_on = Date()
    scheme = ForeignKey(RatingScheme, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=16, default="open")  # open | finalized
    finalized_by = UUID(null=True, default=None)
    finalized_at = Timestamptz(null=True, default=None)
    created_by = UUID(null=True, default=None)
    created_at = Timestamptz()


class Rating(Table, tablename="contract_rating"):
    """The bureau's score of one contract for one period, item by item."""

    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    period = ForeignKey(RatingPeriod, on_delete=OnDelete.restrict, index=True)
    contract = ForeignKey(Contract, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    company = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    # [{code, score, note}] with score in hundredths.
    items = JSON(default=[])
    total = Integer()
    grade = Varchar(length=40)
    ratio = Integer()  # percent of the subsidy base
    # The later of two adjacent (by dates) finalised periods below 60 of the same company
    # in the same community, whichever of the two was finalised first.
    review_flag = Boolean(default=False)
    created_by = UUID()
    created_at = Timestamptz()
    updated_at = Timestamptz()


class Appeal(Table, tablename="rating_appeal"):
    """A company's one appeal against a rating, and the bureau's answer."""

    id = UUID(primary_key=True)
    rating = ForeignKey(Rating, on_delete=OnDelete.restrict, unique=True)
    company = ForeignKey(Organization, on_delete=OnDelete.restrict, index=True)
    reason = Text()
    filed_by = UUID()
    filed_at = Timestamptz()
    decision = Varchar(length=16, null=True, default=None)  # upheld | dismissed
    note = Text(default="")
    answered_by = UUID(null=True, default=None)
    answered_at = Timestamptz(null=True, default=None)


class SatisfactionAnswer(Table, tablename="satisfaction_answer"):
    """An owner's (or the committee's, on the owner's behalf) survey answer, 1-5."""

    id = UUID(primary_key=True)
    period = ForeignKey(RatingPeriod, on_delete=OnDelete.restrict, index=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    community = ForeignKey(Community, on_delete=OnDelete.restrict, index=True)
    score = Integer()
    comment = Text(default="")
    answered_by = UUID()
    answered_by_role = Varchar(length=16)
    answered_at = Timestamptz()
