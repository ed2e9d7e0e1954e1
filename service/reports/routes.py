"""Documents API (API.md "Documents"): the yearly fund statement and the rating period
report, as PDFs."""

from __future__ import annotations

import re
from urllib.parse import quote
from uuid import UUID

from litestar import Controller, Response, get
from litestar.params import FromPath, FromQuery

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, CONTRACTOR, OWNER, allow
from service.auth.scope import Scope
from service.fund_uses import service as uses
from service.http import PROBLEMS, CallerDep, ScopeDep
from service.registry.tables import Community
from service.reports import (
    fund_statement,
    fund_use_notice,
    household_statement,
    rating_report,
    subsidy_list,
    warranty_report,
)
from service.reports.excel import XLSX
from service.reports.publish import render_fund_statement
from service.reports.render import render_pdf
from service.reports.statement_excel import statement_workbook

PDF = "application/pdf"


def ascii_name(name: str) -> str:
    """A file name safe in a quoted header parameter (the UTF-8 name goes in filename*)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def pdf_response(
    content: bytes, fallback: str, name: str, disposition: str = "inline"
) -> Response[bytes]:
    disposition = f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=PDF, headers={"Content-Disposition": disposition})


class FundStatementController(Controller):
    path = "/communities"
    tags = ("文件",)

    @get(
        "/{community_id:str}/fund/statement.pdf",
        opt=allow(BUREAU, AUDITOR, COMMITTEE, COMPANY, OWNER),
        responses=PROBLEMS,
        media_type=PDF,
    )
    async def fund_statement(
        self,
        access: ScopeDep,
        community_id: FromPath[str],
        year: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        """维修资金年度收支公布表（PDF，《住宅专项维修资金管理办法》第三十三条）：总额、使用项目及分摊、
        分户账与账本哈希链头。业主只看到本人名下房屋的分户明细。year 为 1990 至今年之间的年份。"""
        return await fund_statement_pdf(access, community_id, year)


STATEMENT_READERS = (BUREAU, AUDITOR, COMMITTEE, COMPANY, OWNER)


async def fund_statement_pdf(
    access: Scope, community_id: str, year: str | None, disposition: str = "inline"
) -> Response[bytes]:
    """The yearly statement of a visible community as a PDF answer (API and page)."""
    community = await access.community(community_id, Community.id)
    chosen = fund_statement.parse_year(year)
    pdf = await render_fund_statement(UUID(str(community["id"])), chosen, access.owner_id)
    return pdf_response(
        pdf.content,
        ascii_name(pdf.file_name),
        f"{pdf.community_name}{chosen}年度维修资金公布表.pdf",
        disposition,
    )


class RatingReportController(Controller):
    path = "/rating-periods"
    tags = ("文件",)

    @get(
        "/{period_id:str}/report.pdf",
        opt=allow(BUREAU, AUDITOR, COMPANY),
        responses=PROBLEMS,
        media_type=PDF,
    )
    async def rating_report(self, caller: CallerDep, period_id: FromPath[str]) -> Response[bytes]:
        """评价期质量评价报告（PDF）：每份合同的小区、企业、各项得分、总分、等级、补贴比例、
        已计算的补贴金额与申诉。物业企业只看到本企业合同的行。"""
        report = await rating_report.build_report(caller, period_id)
        content = await render_pdf("documents/rating_report.html", {"r": report})
        return pdf_response(content, "rating-report.pdf", f"{report.period['name']}评价报告.pdf")

    @get(
        "/{period_id:str}/report.xlsx",
        opt=allow(BUREAU, AUDITOR, COMPANY),
        responses=PROBLEMS,
        media_type=XLSX,
    )
    async def rating_report_xlsx(
        self, caller: CallerDep, period_id: FromPath[str]
    ) -> Response[bytes]:
        """评价期质量评价报告的 Excel 版（各项得分、总分、等级、补贴）。
        物业企业只看到本企业的行。"""
        report = await rating_report.build_report(caller, period_id)
        return xlsx_response(
            subsidy_list.report_workbook(report),
            "rating-report.xlsx",
            f"{report.period['name']}评价报告.xlsx",
        )

    @get(
        "/{period_id:str}/subsidies.pdf",
        opt=allow(BUREAU, AUDITOR, COMPANY),
        responses=PROBLEMS,
        media_type=PDF,
    )
    async def subsidies_pdf(self, caller: CallerDep, period_id: FromPath[str]) -> Response[bytes]:
        """评价期物业服务补贴清单（PDF）：企业、小区、总分、等级、补贴基数、比例、金额、状态。
        物业企业只看到本企业的行。"""
        report = await rating_report.build_report(caller, period_id)
        content = await render_pdf("documents/subsidy_list.html", {"r": report})
        return pdf_response(content, "subsidies.pdf", f"{report.period['name']}补贴清单.pdf")

    @get(
        "/{period_id:str}/subsidies.xlsx",
        opt=allow(BUREAU, AUDITOR, COMPANY),
        responses=PROBLEMS,
        media_type=XLSX,
    )
    async def subsidies_xlsx(self, caller: CallerDep, period_id: FromPath[str]) -> Response[bytes]:
        """补贴清单的 Excel 版。"""
        report = await rating_report.build_report(caller, period_id)
        return xlsx_response(
            subsidy_list.subsidy_workbook(report),
            "subsidies.xlsx",
            f"{report.period['name']}补贴清单.xlsx",
        )


def xlsx_response(content: bytes, fallback: str, name: str) -> Response[bytes]:
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})


NOTICE_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, OWNER)


class FundUseNoticeController(Controller):
    path = "/fund-uses"
    tags = ("文件",)

    @get(
        "/{use_id:str}/notice.pdf",
        opt=allow(*NOTICE_READERS),
        responses=PROBLEMS,
        media_type=PDF,
    )
    async def notice_pdf(self, access: ScopeDep, use_id: FromPath[str]) -> Response[bytes]:
        """维修资金使用公示（PDF）：项目、费用、按面积分摊、表决结果与门槛、审批；拨付后含结算、
        维修资金列支与业主自筹。业主姓名仅显示首尾字。"""
        notice = await fund_use_notice.build_notice(await uses.visible_use(access, use_id))
        content = await render_pdf("documents/fund_use_notice.html", {"n": notice})
        return pdf_response(
            content, f"fund-use-notice-{notice.use['id']}.pdf", f"{notice.use['title']}使用公示.pdf"
        )

    @get(
        "/{use_id:str}/vote-result.pdf",
        opt=allow(*NOTICE_READERS),
        responses=PROBLEMS,
        media_type=PDF,
    )
    async def vote_result_pdf(self, access: ScopeDep, use_id: FromPath[str]) -> Response[bytes]:
        """业主表决结果公告（PDF）：表决范围、参与、同意与反对的人数和面积，对照表决规则的各项门槛。
        不列业主个人信息。"""
        notice = await fund_use_notice.build_notice(await uses.visible_use(access, use_id))
        content = await render_pdf("documents/vote_result.html", {"n": notice})
        return pdf_response(
            content, f"vote-result-{notice.use['id']}.pdf", f"{notice.use['title']}表决结果公告.pdf"
        )

    @get(
        "/{use_id:str}/vote-result.xlsx",
        opt=allow(*NOTICE_READERS),
        responses=PROBLEMS,
        media_type=XLSX,
    )
    async def vote_result_xlsx(self, access: ScopeDep, use_id: FromPath[str]) -> Response[bytes]:
        """业主表决结果公告的 Excel 版。"""
        notice = await fund_use_notice.build_notice(await uses.visible_use(access, use_id))
        return xlsx_response(
            fund_use_notice.vote_workbook(notice),
            f"vote-result-{notice.use['id']}.xlsx",
            f"{notice.use['title']}表决结果公告.xlsx",
        )

    @get(
        "/{use_id:str}/notice.xlsx",
        opt=allow(*NOTICE_READERS),
        responses=PROBLEMS,
        media_type=XLSX,
    )
    async def notice_xlsx(self, access: ScopeDep, use_id: FromPath[str]) -> Response[bytes]:
        """维修资金使用公示的 Excel 版（同样的表格：概况、分摊及结算、表决结果、拨付记录）。"""
        notice = await fund_use_notice.build_notice(await uses.visible_use(access, use_id))
        return xlsx_response(
            fund_use_notice.notice_workbook(notice),
            f"fund-use-notice-{notice.use['id']}.xlsx",
            f"{notice.use['title']}使用公示.xlsx",
        )


class HouseholdStatementController(Controller):
    path = "/households"
    tags = ("文件",)

    @get(
        "/{household_id:str}/fund/statement.pdf",
        opt=allow(*STATEMENT_READERS),
        responses=PROBLEMS,
        media_type=PDF,
    )
    async def statement_pdf(
        self, access: ScopeDep, household_id: FromPath[str], year: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """一户的维修资金年度对账单（PDF）：年初余额、本年每笔记账（含记账时业主）、年末余额、
        应缴自筹与续交。业主本人的文件，显示全名。"""
        household = await access.household(household_id)
        chosen = fund_statement.parse_year(year)
        statement = await household_statement.build_household_statement(household, chosen)
        content = await render_pdf("documents/household_statement.html", {"n": statement})
        return pdf_response(
            content,
            f"household-statement-{household['id']}-{chosen}.pdf",
            f"{statement.label}{chosen}年度分户账.pdf",
        )

    @get(
        "/{household_id:str}/fund/statement.xlsx",
        opt=allow(*STATEMENT_READERS),
        responses=PROBLEMS,
        media_type=XLSX,
    )
    async def statement_xlsx(
        self, access: ScopeDep, household_id: FromPath[str], year: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """一户年度对账单的 Excel 版（分户账明细、应缴自筹）。"""
        household = await access.household(household_id)
        chosen = fund_statement.parse_year(year)
        statement = await household_statement.build_household_statement(household, chosen)
        return xlsx_response(
            household_statement.household_workbook(statement),
            f"household-statement-{household['id']}-{chosen}.xlsx",
            f"{statement.label}{chosen}年度分户账.xlsx",
        )


WARRANTY_READERS = (BUREAU, AUDITOR, COMPANY, COMMITTEE, CONTRACTOR, OWNER)


class CommunityDocumentsController(Controller):
    path = "/communities"
    tags = ("文件",)

    @get(
        "/{community_id:str}/fund/statement.xlsx",
        opt=allow(*STATEMENT_READERS),
        responses=PROBLEMS,
        media_type=XLSX,
    )
    async def fund_statement_xlsx(
        self, access: ScopeDep, community_id: FromPath[str], year: FromQuery[str | None] = None
    ) -> Response[bytes]:
        """维修资金年度收支公布表的 Excel 版（资金总额、使用项目、分摊明细、分户账）。"""
        community = await access.community(community_id, Community.id)
        chosen = fund_statement.parse_year(year)
        header = await fund_statement.community_header(UUID(str(community["id"])))
        statement = await fund_statement.build_statement(header, chosen, owner_id=access.owner_id)
        return xlsx_response(
            statement_workbook(statement),
            ascii_name(f"fund-statement-{header['code']}-{chosen}.xlsx"),
            f"{header['name']}{chosen}年度维修资金公布表.xlsx",
        )

    @get(
        "/{community_id:str}/warranty-report.pdf",
        opt=allow(*WARRANTY_READERS),
        responses=PROBLEMS,
        media_type=PDF,
    )
    async def warranty_pdf(self, access: ScopeDep, community_id: FromPath[str]) -> Response[bytes]:
        """小区改造工程保修与维修情况报告（PDF）：工程、保修部位及保修期、未完成及超期报修、谁付费。"""
        community = await access.community(community_id, Community.id)
        report = await warranty_report.build_warranty_report(UUID(str(community["id"])))
        content = await render_pdf("documents/warranty_report.html", {"n": report})
        return pdf_response(
            content,
            ascii_name(f"warranty-report-{report.community['code']}.pdf"),
            f"{report.community['name']}保修与维修情况报告.pdf",
        )

    @get(
        "/{community_id:str}/warranty-report.xlsx",
        opt=allow(*WARRANTY_READERS),
        responses=PROBLEMS,
        media_type=XLSX,
    )
    async def warranty_xlsx(self, access: ScopeDep, community_id: FromPath[str]) -> Response[bytes]:
        """保修与维修情况报告的 Excel 版（改造工程、保修部位、未完成报修）。"""
        community = await access.community(community_id, Community.id)
        report = await warranty_report.build_warranty_report(UUID(str(community["id"])))
        return xlsx_response(
            warranty_report.warranty_workbook(report),
            ascii_name(f"warranty-report-{report.community['code']}.xlsx"),
            f"{report.community['name']}保修与维修情况报告.xlsx",
        )


ROUTE_HANDLERS = [
    CommunityDocumentsController,
    FundStatementController,
    RatingReportController,
    FundUseNoticeController,
    HouseholdStatementController,
]
