"""User accounts: one role each, one organisation (owners: an owner identity instead)."""

from piccolo.columns import UUID, BigSerial, Boolean, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from service.registry.tables import District, Organization, Owner


class Account(Table, tablename="account"):
    id = UUID(primary_key=True)
    username = Varchar(length=80, unique=True)
    password_hash = Varchar(length=200)
    role = Varchar(length=16)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    organization = ForeignKey(Organization, null=True, on_delete=OnDelete.restrict, index=True)
    # An owner's account sees the households this owner currently owns.
    owner = ForeignKey(Owner, null=True, on_delete=OnDelete.restrict, index=True)
    active = Boolean(default=True)
    created_at = Timestamptz()


class LoginFailure(Table, tablename="login_failure"):
    """A failed login, counted against three keys (``service.auth.rules``): kept for the
    throttle's window only."""

    id = BigSerial(primary_key=True)
    kind = Varchar(length=20)
    key = Varchar(length=200, index=True)
    at = Timestamptz()
