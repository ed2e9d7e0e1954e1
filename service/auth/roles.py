"""Roles, the caller, and the one guard that enforces each route's declared policy.

Every route declares who may call it with ``opt=allow(...)`` (or ``opt=PUBLIC``); a
route without a declaration refuses everyone, and a test walks the route table to make
sure none is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

BUREAU = "bureau"
AUDITOR = "auditor"
COMPANY = "company"
COMMITTEE = "committee"
CONTRACTOR = "contractor"
OWNER = "owner"
# A street office (街道办事处) the bureau names for the areas it covers: it records
# inspections of those areas and their communities and answers the rectification tasks
# routed to it, and nothing else.
STREET = "street"

# The roles that use the registry and the routes open to "every role": all but the
# street office, whose account is limited to its inspections and tasks (so a route that
# allows ``*ALL_ROLES`` refuses it with 403 unless it names ``STREET`` too).
ALL_ROLES = frozenset({BUREAU, AUDITOR, COMPANY, COMMITTEE, CONTRACTOR, OWNER})
# Every role an account may have.
ACCOUNT_ROLES = ALL_ROLES | {STREET}
DISTRICT_READERS = frozenset({BUREAU, AUDITOR})

# The organisation kind each non-owner role must belong to.
ROLE_ORG_KIND = {
    BUREAU: "bureau",
    AUDITOR: "audit",
    COMPANY: "company",
    COMMITTEE: "committee",
    CONTRACTOR: "contractor",
    STREET: "street",
}
# ``operator``: a professional operator (专业经营单位: water, power, gas, heat, telecom),
# to which repairs of its lines are routed; it has no users of its own. ``street``: a
# street office; its users (role ``street``) see the areas the bureau names for it.
ORG_KINDS = frozenset(
    {"bureau", "audit", "company", "committee", "contractor", "street", "operator"}
)

PUBLIC: dict[str, Any] = {"public": True}


def allow(*roles: str) -> dict[str, Any]:
    """Route policy: the roles that may call it (others get 403)."""
    unknown = set(roles) - ACCOUNT_ROLES
    if unknown or not roles:
        raise ValueError(f"unknown roles in policy: {unknown or 'none given'}")
    return {"roles": frozenset(roles)}


@dataclass(frozen=True)
class Caller:
    """The authenticated user of a request."""

    id: UUID
    username: str
    role: str
    district_id: UUID
    org_id: UUID | None
    owner_id: UUID | None
    # The community an owners' committee represents.
    committee_community_id: UUID | None


async def policy_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Refuse the caller unless the route's declared policy names its role.

    A coroutine although it awaits nothing: Litestar runs a plain-function guard in a
    worker thread, a thread hop on every request."""
    if handler.opt.get("public"):
        return
    roles = handler.opt.get("roles")
    caller = connection.scope.get("user")
    if not roles or not isinstance(caller, Caller) or caller.role not in roles:
        raise PermissionDeniedException("当前角色无权执行此操作。")


class SecondUserRequired(PermissionDeniedException):
    """The four-eyes rule: a step the same user already took part in needs another user.

    Always 403, wherever it applies (approving one's own fund-use proposal, paying a use
    one approved, releasing a subsidy one approved): the caller's role may call the
    route, but this user may never take this step on this object, however it is retried;
    409 is kept for a state that a later request can change."""


def require_another_user(earlier_user: object, caller: Caller, message: str) -> None:
    """Raise ``SecondUserRequired`` (403) when ``caller`` is ``earlier_user``."""
    if earlier_user is not None and str(earlier_user) == str(caller.id):
        raise SecondUserRequired(message)
