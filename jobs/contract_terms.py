"""Daily: live contracts past their term end on notice or continue without fixed term
(Civil Code arts. 947-948), so company scopes follow the contracts."""

from __future__ import annotations

from jobs.runs import Period
from service.contracts.service import sweep_expired_terms

JOB = "contract-terms"


async def sweep_terms(period: Period) -> dict[str, int]:
    ended, continued = await sweep_expired_terms(period.at.date())
    return {"ended": ended, "continued": continued}
