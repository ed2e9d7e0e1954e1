"""Daily deadline reminders: warranty periods ending (条例 art. 40: inside the period the
contractor repairs, so look before it ends) and property contracts ending (Civil Code
arts. 946-949: a company not renewing gives written notice 90 days before the term ends,
owners dismissing one give 60 days; on the end the company hands over).

Each reminder is keyed by its mark (90 days, 30 days, ...) rather than by the day it was
sent, so it goes out once per deadline even when a day's run was missed and caught up.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from jobs.runs import Period
from service.db import fetch
from service.notices.recipients import bureaus, committees, companies
from service.notices.rules import reminder_due
from service.notices.service import Draft, Recipient, send
from service.warranty.rules import CATEGORY_NAMES

WARRANTY = "warranty-ends"
CONTRACTS = "contract-ends"
WARRANTY_MARKS = (90, 30)
CONTRACT_MARKS = (90, 60)
HANDOVER_DAYS = 30  # after a contract ended, its hand-over is reminded within this window


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


async def warranty_ends(period: Period) -> dict[str, int]:
    """90 and 30 days before a renovation component's warranty ends, tell the bureau, the
    committee, the property company and the contractor."""
    today = period.at.date()
    rows = await fetch(
        "SELECT wc.id, wc.category, wc.warranty_until, w.id AS work, w.title, w.contractor,"
        " w.community, w.district, c.name AS community_name FROM work_component AS wc"
        " JOIN work AS w ON w.id = wc.work JOIN community AS c ON c.id = w.community"
        " WHERE wc.warranty_until >= {} AND wc.warranty_until <= {}",
        today,
        today + timedelta(days=max(WARRANTY_MARKS)),
    )
    bureau_of, committee_of, company_of = await bureaus(), await committees(), await companies()
    drafts: dict[str, list[Draft]] = {}
    components = 0
    for row in rows:
        until = _date(row["warranty_until"])
        mark = reminder_due(today, until, WARRANTY_MARKS)
        if mark is None:
            continue
        components += 1
        community = UUID(str(row["community"]))
        district = UUID(str(row["district"]))
        category = CATEGORY_NAMES.get(str(row["category"]), str(row["category"]))
        left = (until - today).days
        body = (
            f"{row['community_name']}「{row['title']}」的{category}保修期至 {until} 届满"
            f"（还有 {left} 天）。届满前请组织查验，发现的缺陷由施工单位在保修期内维修"
            "（《建设工程质量管理条例》第四十条）；届满后共用部位的大中修由维修资金列支。"
        )
        contractor = Recipient(org=UUID(str(row["contractor"])))
        recipients = [
            *bureau_of.get(district, []),
            *committee_of.get(community, []),
            *company_of.get(community, []),
            contractor,
        ]
        drafts.setdefault(f"{mark}d", []).extend(
            Draft(
                district=district,
                kind="warranty_end",
                title=f"保修期 {mark} 天内届满：{row['community_name']} {category}",
                body=body,
                recipient=recipient,
                object_type="work_component",
                object_id=str(row["id"]),
                # A contractor sees its tickets, not the community's pages.
                link="/repairs" if recipient == contractor else f"/communities/{community}",
            )
            for recipient in recipients
        )
    # Keyed by the mark, not the day: one reminder per mark and component.
    sent = sum([await send(WARRANTY, mark, items) for mark, items in drafts.items()])
    return {"components": components, "notices": sent}


async def contract_ends(period: Period) -> dict[str, int]:
    """90 and 60 days before a live contract's term ends (arts. 946-948), tell the
    company, the committee and the bureau; after it ended, remind them of the hand-over
    (art. 949)."""
    today = period.at.date()
    rows = await fetch(
        "SELECT k.id, k.community, k.company, k.district, k.ends_on, k.status,"
        " k.notice_given_on, c.name AS community_name, o.name AS company_name"
        " FROM contract AS k JOIN community AS c ON c.id = k.community"
        " JOIN organization AS o ON o.id = k.company"
        " WHERE k.ends_on IS NOT NULL AND ((k.status = 'live' AND k.ends_on >= {}"
        " AND k.ends_on <= {}) OR (k.status = 'ended' AND k.ends_on >= {} AND k.ends_on < {}))",
        today,
        today + timedelta(days=max(CONTRACT_MARKS)),
        today - timedelta(days=HANDOVER_DAYS),
        today,
    )
    bureau_of, committee_of = await bureaus(), await committees()
    drafts: dict[str, list[Draft]] = {}
    for row in rows:
        ends = _date(row["ends_on"])
        community = UUID(str(row["community"]))
        district = UUID(str(row["district"]))
        recipients = [
            Recipient(org=UUID(str(row["company"]))),
            *committee_of.get(community, []),
            *bureau_of.get(district, []),
        ]
        if row["status"] == "live":
            mark = reminder_due(today, ends, CONTRACT_MARKS)
            if mark is None:
                continue
            key, kind = f"{mark}d", "contract_end"
            title = f"物业服务合同 {mark} 天内到期：{row['community_name']}"
            body = (
                f"{row['community_name']}与{row['company_name']}的物业服务合同于 {ends} 到期"
                f"（还有 {(ends - today).days} 天）。"
                + (
                    f"已于 {row['notice_given_on']} 发出书面通知，期满终止，请准备交接。"
                    if row["notice_given_on"]
                    else "物业服务企业不续聘的，应在期满前90日书面通知业主"
                    "（民法典第九百四十七条）；业主依法解聘的，应提前60日书面通知（第九百四十六条）；期满未作决定而继续"
                    "服务的，成为不定期合同（第九百四十八条）。"
                )
            )
        else:
            key, kind = "handover", "contract_handover"
            title = f"物业服务合同已终止，请办理交接：{row['community_name']}"
            body = (
                f"{row['community_name']}与{row['company_name']}的物业服务合同已于 {ends} 终止。"
                "原物业服务企业应退出物业服务区域，交还物业服务用房、相关设施和资料，"
                "配合新物业服务企业做好交接（民法典第九百四十九条）；新企业接管前继续处理"
                "物业服务事项（第九百五十条）。"
            )
        drafts.setdefault(key, []).extend(
            Draft(
                district=district,
                kind=kind,
                title=title,
                body=body,
                recipient=recipient,
                object_type="contract",
                object_id=str(row["id"]),
                link=f"/communities/{community}",
            )
            for recipient in recipients
        )
    sent = sum([await send(CONTRACTS, key, items) for key, items in drafts.items()])
    return {"contracts": len(rows), "notices": sent}
