"""Yearly fund statements (165号令 art. 33): each January, last year's statement of every
community is rendered by the statement renderer (``service.reports``) and published to
its committee and its owners, the PDF attached to the notice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from jobs.runs import Period
from service.config import get_settings
from service.db import fetch
from service.notices.recipients import committees
from service.notices.service import Draft, Recipient, send
from service.reports.fund_statement import Statement
from service.reports.publish import render_fund_statements_each

JOB = "fund-statements"
logger = logging.getLogger("changxiao.jobs")
FOLDER = "statements"


def _file_name(statement: Statement) -> str:
    """The attachment's name: the community's id in it keeps two codes' files apart."""
    community = UUID(str(statement.community["id"]))
    return f"fund-statement-{statement.community['code']}-{statement.year}-{community}.pdf"


async def publish_statements(
    period: Period, community_ids: Sequence[UUID] | None = None
) -> dict[str, int]:
    """Publish last year's statement of every community (or of ``community_ids``): the
    statements not yet sent rendered together by the batch path
    (``render_fund_statements_each``: read set-based, rendered by a process pool), then
    each community's notices. A community whose statement fails is left for the retry
    (``StatementsFailed`` after the others are published)."""
    year = period.at.year - 1
    rows = await fetch("SELECT id, district, name FROM community ORDER BY code")
    chosen = {str(c) for c in community_ids} if community_ids is not None else None
    committee_of = await committees()
    owners_of: dict[UUID, list[Recipient]] = defaultdict(list)
    for owner in await fetch(
        "SELECT DISTINCT community, owner FROM household WHERE owner IS NOT NULL"
        " ORDER BY community, owner"
    ):
        owners_of[UUID(str(owner["community"]))].append(Recipient(owner=UUID(str(owner["owner"]))))
    sent = await _sent(year)
    due: list[tuple[dict[str, Any], list[Recipient]]] = []
    for row in rows:
        community = UUID(str(row["id"]))
        if chosen is not None and str(community) not in chosen:
            continue
        recipients = [*committee_of.get(community, []), *owners_of.get(community, [])]
        if recipients and sent.get(str(community), 0) >= len(recipients):
            continue  # a retry: this community's notices all went out already
        due.append((row, recipients))
    folder = Path(get_settings().attachments_dir) / FOLDER
    results = await render_fund_statements_each(
        year, folder, [UUID(str(row["id"])) for row, _ in due], file_name=_file_name
    )
    notices = 0
    failed: list[str] = []
    for (row, recipients), path in zip(due, results, strict=True):
        community = UUID(str(row["id"]))
        name = str(row["name"])
        if isinstance(path, Exception):
            # One community's statement failing holds back no other community's: this
            # run publishes the rest and fails naming it; the retry renders only it.
            logger.error("statement of %s (%s) failed: %r", name, community, path)
            failed.append(f"{name}（{community}）")
            continue
        notices += await send(
            JOB,
            str(year),
            [
                Draft(
                    district=UUID(str(row["district"])),
                    kind="fund_statement",
                    title=f"{name}{year}年度维修资金收支公布",
                    body=(
                        f"{name}{year}年度住宅专项维修资金的交存、使用、增值收益和结存情况已公布"
                        "（《住宅专项维修资金管理办法》第三十三条），附件为公布表；"
                        "业主可查询本人房屋的分户账。"
                    ),
                    recipient=recipient,
                    object_type="community",
                    object_id=str(community),
                    link=f"/communities/{community}/fund/statement.pdf?year={year}",
                    attachment=str(Path(FOLDER) / path.name),
                )
                for recipient in recipients
            ],
        )
    if failed:
        raise StatementsFailed(
            f"{len(failed)} 个小区的年度公布表生成失败：{'、'.join(failed[:10])}"
            f"{' 等' if len(failed) > 10 else ''}；其余 {len(due) - len(failed)} 个已公布"
            f"（通知 {notices} 条），重试时只补做失败的小区。"
        )
    return {"statements": len(due), "notices": notices}


class StatementsFailed(RuntimeError):
    """Some communities' statements could not be rendered; the others were published."""


async def _sent(year: int) -> dict[str, int]:
    """How many notices of ``year``'s statements went out, per community (by id)."""
    found = await fetch(
        "SELECT object_id, COUNT(*) AS n FROM notice WHERE job = {} AND period = {}"
        " GROUP BY object_id",
        JOB,
        str(year),
    )
    return {str(r["object_id"]): int(r["n"]) for r in found}
