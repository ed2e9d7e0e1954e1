"""Daily: votes on fund uses close on their published dates (the day after
``vote_closes_on``), their results published as the bureau's close would (the same
service, the same rule), and the committee and the bureau are told the outcome.

The job acts as the district's system: its audit entries name ``system`` as the actor.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from uuid import UUID

from jobs.runs import Period
from service.auth.roles import BUREAU, Caller
from service.auth.scope import resolve_scope
from service.db import fetch
from service.fund_uses.service import close_vote
from service.notices.recipients import bureaus, committees
from service.notices.service import Draft, send

JOB = "vote-closings"
SYSTEM_ID = uuid.UUID(int=0)
OUTCOME = {"owners_approved": "业主表决通过", "rejected": "业主表决未通过"}


def system_caller(district_id: UUID) -> Caller:
    """The scheduled jobs acting in a district (with the bureau's reach)."""
    return Caller(
        id=SYSTEM_ID,
        username="system",
        role=BUREAU,
        district_id=district_id,
        org_id=None,
        owner_id=None,
        committee_community_id=None,
    )


async def close_due_votes(period: Period, use_ids: Sequence[UUID] | None = None) -> dict[str, int]:
    """Close every vote whose window ended before the period's day (or of ``use_ids``)."""
    rows = await fetch(
        "SELECT u.id, u.district, u.community, u.title, u.vote_closes_on, c.name AS community_name"
        " FROM fund_use AS u JOIN community AS c ON c.id = u.community"
        " WHERE u.status = 'voting' AND u.vote_closes_on IS NOT NULL AND u.vote_closes_on < {}",
        period.at.date(),
    )
    if use_ids is not None:
        chosen = {str(u) for u in use_ids}
        rows = [r for r in rows if str(r["id"]) in chosen]
    bureau_of, committee_of = await bureaus(), await committees()
    drafts: list[Draft] = []
    closed = 0
    for row in rows:
        district = UUID(str(row["district"]))
        caller = system_caller(district)
        result = await close_vote(caller, await resolve_scope(caller), str(row["id"]))
        closed += 1
        outcome = OUTCOME.get(str(result["status"]), str(result["status"]))
        community = UUID(str(row["community"]))
        drafts += [
            Draft(
                district=district,
                kind="vote_closed",
                title=f"表决已截止（{outcome}）：{row['title']}",
                body=(
                    f"{row['community_name']}「{row['title']}」的业主表决已于 "
                    f"{row['vote_closes_on']} 截止，结果：{outcome}，表决结果已公布。"
                ),
                recipient=recipient,
                object_type="fund_use",
                object_id=str(row["id"]),
                link=f"/fund-uses/{row['id']}",
            )
            for recipient in [*committee_of.get(community, []), *bureau_of.get(district, [])]
        ]
    sent = await send(JOB, "closed", drafts)
    return {"closed": closed, "notices": sent}
