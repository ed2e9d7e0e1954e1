"""User accounts: one role each, one organisation (owners: an owner identity instead)."""

from piccolo.columns import UUID, Boolean, ForeignKey, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from service.registry.tables import District, Household, Organization, Owner


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


class WebSession(Table, tablename="web_session"):
    """A signed-in browser (the pages' session cookie). Only a digest of the cookie's
    token is kept, so a copy of the table opens no session; logout deletes the row."""

    id = UUID(primary_key=True)
    token_digest = Varchar(length=64, unique=True)
    account = ForeignKey(Account, on_delete=OnDelete.restrict, index=True)
    # The synchronizer token every form of this session carries.
    csrf_token = Varchar(length=64)
    created_at = Timestamptz()
    expires_at = Timestamptz(index=True)


class ClaimCode(Table, tablename="owner_claim_code"):
    """A one-time code the bureau prints per household so its owner can claim a login.

    Only a keyed digest of the code is stored; issuing new codes revokes the old ones."""

    id = UUID(primary_key=True)
    household = ForeignKey(Household, on_delete=OnDelete.restrict, index=True)
    code_digest = Varchar(length=64, index=True)
    issued_at = Timestamptz()
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    used_by = UUID(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class SignInFailure(Table, tablename="sign_in_failure"):
    """One failed sign-in or claim try, by throttle key (kept in the database so that
    every worker process counts the same tries)."""

    id = UUID(primary_key=True)
    key = Varchar(length=200, index=True)
    at = Timestamptz(index=True)
