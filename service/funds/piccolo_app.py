"""Piccolo app of the maintenance fund context; migrations in ``migrations/funds/``.

It also registers the ``idempotency_record`` table of ``service.idempotency`` (the shared
guard of every money-moving POST) and the fund-use context's tables
(``service/fund_uses/``), which these migrations created.
"""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from service.fund_uses.attachments import FundAttachment
from service.fund_uses.tables import (
    FundBallot,
    FundDisbursement,
    FundNoticeServed,
    FundSelfFunded,
    FundUse,
    FundUsePart,
    FundUseShare,
)
from service.funds.tables import (
    ChainHeadLog,
    FirstDepositPromise,
    FundAccount,
    FundChain,
    FundEntry,
    FundLine,
)
from service.idempotency import IdempotencyRecord

APP_CONFIG = AppConfig(
    app_name="funds",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "funds"),
    table_classes=[
        FundAccount,
        FundChain,
        FundEntry,
        FundLine,
        IdempotencyRecord,
        FundUse,
        FundUseShare,
        FundBallot,
        FundDisbursement,
        FundSelfFunded,
        FundAttachment,
        FirstDepositPromise,
        ChainHeadLog,
        FundUsePart,
        FundNoticeServed,
    ],
    migration_dependencies=["service.registry.piccolo_app"],
    commands=[],
)
