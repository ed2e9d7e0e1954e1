"""Notices: an inbox row per recipient (an organisation, an owner, or one user account),
and an outbox row per SMS or e-mail to send for it."""

from piccolo.columns import UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.table import Table

from service.auth.tables import Account
from service.registry.tables import District, Organization, Owner


class Notice(Table, tablename="notice"):
    id = UUID(primary_key=True)
    district = ForeignKey(District, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=40)
    title = Varchar(length=200)
    body = Text()
    object_type = Varchar(length=30, default="")
    object_id = Varchar(length=64, default="")
    # The page that shows the object (``/communities/...``), for the inbox's link.
    link = Varchar(length=300, default="")
    # A file under the attachments folder (a statement's PDF), served with the notice.
    attachment = Varchar(length=300, default="")
    recipient_org = ForeignKey(Organization, null=True, on_delete=OnDelete.restrict, index=True)
    recipient_owner = ForeignKey(Owner, null=True, on_delete=OnDelete.restrict, index=True)
    recipient_account = ForeignKey(Account, null=True, on_delete=OnDelete.restrict, index=True)
    # (job, period, recipient, object): a job run again never sends the notice again.
    idem_key = Varchar(length=300, unique=True)
    job = Varchar(length=60, default="")
    period = Varchar(length=40, default="")
    created_at = Timestamptz(index=True)
    read_at = Timestamptz(null=True, default=None)
    read_by = UUID(null=True, default=None)


class OutboxMessage(Table, tablename="notice_outbox"):
    """An SMS or e-mail for a notice: pending until the sender took it, retried with
    backoff when it failed, given up (failed) after a few attempts."""

    id = UUID(primary_key=True)
    notice = ForeignKey(Notice, on_delete=OnDelete.restrict, index=True)
    channel = Varchar(length=10)  # sms | email
    address = Varchar(length=200)
    status = Varchar(length=10, default="pending")  # pending | sending | sent | failed
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(index=True)
    last_error = Text(default="")
    sent_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
