"""Yearly fund statements (165号令 art. 33): each January, last year's statement of every
community is rendered by the statement renderer (``service.reports``) and published to
its committee and its owners, the PDF attached to the notice.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

from jobs.runs import Period
from service.config import get_settings
from service.db import fetch
from service.notices.recipients import committees
from service.notices.service import Draft, Recipient, send
from service.reports.publish import render_fund_statement

JOB = "fund-statements"
FOLDER = "statements"


async def render_statement(community_id: UUID, year: int) -> tuple[str, str]:
    """Render the community's statement of ``year`` into the attachments folder, by the
    documents' own path (``service.reports.publish``: fonts and stylesheet reused, the
    head it shows witnessed); its path there and the community's name."""
    pdf = await render_fund_statement(community_id, year)
    relative = Path(FOLDER) / f"fund-statement-{pdf.community_code}-{year}-{community_id}.pdf"
    target = Path(get_settings().attachments_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    partial.write_bytes(pdf.content)
    partial.replace(target)
    return str(relative), pdf.community_name


async def publish_statements(
    period: Period, community_ids: Sequence[UUID] | None = None
) -> dict[str, int]:
    """Publish last year's statement of every community (or of ``community_ids``)."""
    year = period.at.year - 1
    rows = await fetch("SELECT id, district FROM community ORDER BY code")
    chosen = {str(c) for c in community_ids} if community_ids is not None else None
    committee_of = await committees()
    notices = rendered = 0
    for row in rows:
        community = UUID(str(row["id"]))
        if chosen is not None and str(community) not in chosen:
            continue
        owners = await fetch(
            "SELECT DISTINCT owner FROM household WHERE community = {} AND owner IS NOT NULL",
            community,
        )
        recipients = [
            *committee_of.get(community, []),
            *(Recipient(owner=UUID(str(o["owner"]))) for o in owners),
        ]
        if await _published(community, year, len(recipients)):
            continue  # a retry: this community's notices all went out already
        attachment, name = await render_statement(community, year)
        rendered += 1
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
                    attachment=attachment,
                )
                for recipient in recipients
            ],
        )
    return {"statements": rendered, "notices": notices}


async def _published(community: UUID, year: int, recipients: int) -> bool:
    found = await fetch(
        "SELECT COUNT(*) AS n FROM notice WHERE job = {} AND period = {} AND object_id = {}",
        JOB,
        str(year),
        str(community),
    )
    return recipients > 0 and int(found[0]["n"]) >= recipients
