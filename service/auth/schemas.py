"""Request and response bodies of login and user administration."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec

from service.auth.roles import ACCOUNT_ROLES
from service.registry.schemas import Input, one_of

Role = Annotated[str, one_of(*sorted(ACCOUNT_ROLES))]


class LoginIn(Input):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class UserOut(msgspec.Struct):
    id: UUID
    username: str
    role: str
    org_id: UUID | None
    household_ids: list[UUID] | None = None


class LoginOut(msgspec.Struct):
    access_token: str
    token_type: str
    expires_in: int
    user: UserOut


class UserIn(Input):
    username: Annotated[
        str, msgspec.Meta(min_length=3, max_length=80, pattern=r"^[0-9A-Za-z_.\-@]+$")
    ]
    password: Annotated[str, msgspec.Meta(min_length=8, max_length=200)]
    role: Role
    org_id: UUID | None = None
    household_ids: list[UUID] | None = None
