"""Household register (台账) API: import a CSV/XLSX file, export the register as XLSX."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, MultipartBody
from litestar.status_codes import HTTP_201_CREATED

from service.auth.roles import AUDITOR, BUREAU, COMMITTEE, COMPANY, allow
from service.http import PROBLEMS, CallerDep, ScopeDep, problem_response
from service.registry import household_import, schemas
from service.registry.tables import Community

UPLOAD_PROBLEMS = {
    **PROBLEMS,
    413: problem_response("文件超过上传大小上限（10 MB）"),
    415: problem_response("不是 CSV 或 XLSX 文件"),
}


@dataclass
class LedgerUpload:
    """The multipart form: one file field named ``file`` (.csv or .xlsx)."""

    file: UploadFile


class LedgerController(Controller):
    path = "/communities"
    tags = ("登记",)

    @post(
        "/{community_id:str}/households/import",
        opt=allow(BUREAU),
        responses=UPLOAD_PROBLEMS,
        status_code=HTTP_201_CREATED,
    )
    async def import_households(
        self,
        caller: CallerDep,
        access: ScopeDep,
        community_id: FromPath[str],
        data: MultipartBody[LedgerUpload],
    ) -> schemas.ImportResult:
        """导入小区房屋台账（CSV 或 XLSX，表头为 楼栋、单元、房号、建筑面积、业主姓名、身份证号，
        可选 联系电话、总层数、电梯）。全部成功或全部不导入：有误时 422 逐行列出错误。"""
        community = await access.community(community_id, Community.id)
        content = await data.file.read()
        return await household_import.import_households(
            caller,
            caller.district_id,
            community["id"],
            data.file.filename,
            data.file.content_type,
            content,
        )

    @get(
        "/{community_id:str}/households.xlsx",
        opt=allow(BUREAU, AUDITOR, COMMITTEE, COMPANY),
        responses=PROBLEMS,
        media_type=household_import.XLSX_MEDIA_TYPE,
    )
    async def export_households(
        self, access: ScopeDep, community_id: FromPath[str]
    ) -> Response[bytes]:
        """导出小区房屋台账（XLSX，身份证号已脱敏，因此不能原样再导入）。"""
        community = await access.community(
            community_id, Community.id, Community.name, Community.code
        )
        content = await household_import.export_households(community["id"], access.households())
        name = quote(f"{community['name']}房屋台账.xlsx")
        disposition = (
            f"attachment; filename=\"households-{community['code']}.xlsx\"; filename*=UTF-8''{name}"
        )
        return Response(
            content,
            media_type=household_import.XLSX_MEDIA_TYPE,
            headers={"Content-Disposition": disposition},
        )
