"""Nightly ledger verification of every community: the hash chain and every balance
recomputed from the journal, the witnessed heads still in place (``service.funds``);
the head seen is recorded in the witness log, and the bureau is told of any drift."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from jobs.runs import Period
from service.db import fetch
from service.funds.witness import record_seen_head, verify_with_witness
from service.notices.recipients import bureaus
from service.notices.service import Draft, send

JOB = "ledger-verification"


async def verify_ledgers(
    period: Period, community_ids: Sequence[UUID] | None = None
) -> dict[str, int]:
    """Verify every community (or ``community_ids``); one notice per drifting community
    and night to its district's bureau."""
    communities = await fetch("SELECT id, district, name, code FROM community ORDER BY code")
    if community_ids is not None:
        chosen = {str(c) for c in community_ids}
        communities = [c for c in communities if str(c["id"]) in chosen]
    bureau_of = await bureaus()
    drafts: dict[str, list[Draft]] = defaultdict(list)
    failed = 0
    for community in communities:
        community_id = UUID(str(community["id"]))
        result = await verify_with_witness(community_id)
        if result.ok:
            await record_seen_head(community_id, result.entries, result.chain_head, "daily")
            continue
        failed += 1
        district = UUID(str(community["district"]))
        problems = "；".join(result.problems[:3])
        drafts[period.name] += [
            Draft(
                district=district,
                kind="ledger_drift",
                title=f"维修资金账簿校验不一致：{community['name']}（{community['code']}）",
                body=(
                    f"夜间校验发现{community['name']}的维修资金分户账与日记账或哈希链不一致"
                    f"（共 {len(result.problems)} 处）：{problems}。请立即核查，"
                    f"可运行 changxiao fund verify --community-code {community['code']}。"
                ),
                recipient=recipient,
                object_type="community",
                object_id=str(community_id),
                link=f"/communities/{community_id}",
            )
            for recipient in bureau_of.get(district, [])
        ]
    sent = sum([await send(JOB, key, items) for key, items in drafts.items()])
    return {"communities": len(communities), "failed": failed, "notices": sent}
