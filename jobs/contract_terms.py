"""Daily: live contracts past their term end on notice or continue without fixed term
(Civil Code arts. 947-948), so company scopes follow the contracts."""

from __future__ import annotations

from datetime import datetime

from service.contracts.service import sweep_expired_terms

JOB = "contract-terms"


async def sweep_terms(at: datetime) -> str:
    ended, continued = await sweep_expired_terms(at.date())
    return f"ended {ended}, continued {continued}"
