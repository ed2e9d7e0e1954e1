"""Daily: live contracts past their term continue without fixed term (Civil Code art.
948) or enter hand-over, the old company serving until its successor's contract starts
(arts. 949-950); contracts in hand-over end once the successor started and both sides
confirmed the hand-over record. Company scopes and repair routing follow the contracts."""

from __future__ import annotations

from jobs.runs import Period
from service.contracts.service import sweep_expired_terms

JOB = "contract-terms"


async def sweep_terms(period: Period) -> dict[str, int]:
    handed, continued = await sweep_expired_terms(period.at.date())
    return {"handover_steps": handed, "continued": continued}
