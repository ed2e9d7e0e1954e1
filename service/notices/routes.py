"""Notices (every role, its own inbox) and the scheduled jobs' run history (bureau,
auditor)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery

from service.auth.roles import ALL_ROLES, DISTRICT_READERS, allow
from service.config import get_settings
from service.db import fetch
from service.errors import InputError
from service.http import PROBLEMS, CallerDep, PagingDep
from service.notices import service
from service.pagination import Page, encode_cursor, page_of


class NoticeOut(msgspec.Struct):
    id: UUID
    kind: str
    title: str
    body: str
    object_type: str | None
    object_id: str | None
    link: str | None
    attachment_url: str | None
    created_at: datetime
    read_at: datetime | None


def notice_out(row: dict[str, Any]) -> NoticeOut:
    return NoticeOut(
        id=UUID(str(row["id"])),
        kind=str(row["kind"]),
        title=str(row["title"]),
        body=str(row["body"]),
        object_type=row["object_type"] or None,
        object_id=row["object_id"] or None,
        link=row["link"] or None,
        attachment_url=f"/api/v1/notices/{row['id']}/attachment" if row["attachment"] else None,
        created_at=row["created_at"],
        read_at=row["read_at"],
    )


def attachment_path(row: dict[str, Any]) -> Path:
    """The notice's file under the attachments folder; 404 when it has none."""
    name = str(row["attachment"] or "")
    root = Path(get_settings().attachments_dir).resolve()
    path = (root / name).resolve()
    if not name or root not in path.parents or not path.is_file():
        raise NotFoundException("该通知没有附件。")
    return path


class NoticeController(Controller):
    path = "/notices"
    tags = ("通知",)

    @get("/", opt=allow(*ALL_ROLES), responses=PROBLEMS)
    async def list_notices(
        self, caller: CallerDep, paging: PagingDep, unread: FromQuery[bool] = False
    ) -> Page[NoticeOut]:
        """本人及本单位的通知（业主：本人的通知），最新在前；``unread=true`` 只列未读。"""
        rows, cursor = await service.inbox(caller, paging, unread)
        return Page(items=[notice_out(r) for r in rows], next_cursor=cursor)

    @post("/{notice_id:str}/read", opt=allow(*ALL_ROLES), responses=PROBLEMS, status_code=200)
    async def read_notice(self, caller: CallerDep, notice_id: FromPath[str]) -> NoticeOut:
        """标记一条通知为已读（再次标记不变）；不是本人或本单位的通知答 404。"""
        return notice_out(await service.mark_read(caller, notice_id))

    @get(
        "/{notice_id:str}/attachment",
        opt=allow(*ALL_ROLES),
        responses=PROBLEMS,
        media_type="application/pdf",
    )
    async def notice_attachment(
        self, caller: CallerDep, notice_id: FromPath[str]
    ) -> Response[bytes]:
        """通知的附件（如年度维修资金公布表 PDF）。"""
        row = await service.visible_notice(caller, notice_id)
        path = attachment_path(row)
        return Response(
            path.read_bytes(),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{path.name}"'},
        )


class JobOut(msgspec.Struct):
    name: str
    title: str
    schedule: str
    next_run_at: datetime | None


class JobRunOut(msgspec.Struct):
    id: str
    job: str
    period: str
    status: str
    attempt: int
    cause: str
    started_at: datetime
    finished_at: datetime | None
    next_retry_at: datetime | None
    worker: str
    outcome: str
    counts: dict[str, int]
    error: str


class JobController(Controller):
    path = "/jobs"
    tags = ("定时任务",)

    @get("/", opt=allow(*DISTRICT_READERS), responses=PROBLEMS)
    async def list_jobs(self, paging: PagingDep) -> Page[JobOut]:
        """每个定时任务（按名称）：名称、说明、计划（cron，北京时间）、下次运行时间。"""
        from jobs.catalog import all_jobs, schedule_of
        from jobs.periods import next_fire
        from service.clock import now

        moment = now()
        jobs, cursor = page_of(all_jobs(), lambda job: job.name, paging)
        items = [
            JobOut(
                name=job.name,
                title=job.title,
                schedule=schedule_of(job),
                next_run_at=next_fire(schedule_of(job), moment),
            )
            for job in jobs
        ]
        return Page(items=items, next_cursor=cursor)

    @get("/runs", opt=allow(*DISTRICT_READERS), responses=PROBLEMS)
    async def list_runs(
        self,
        paging: PagingDep,
        job: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
    ) -> Page[JobRunOut]:
        """定时任务的运行记录，最新在前：每个（任务, 期间）一行，含状态、第几次尝试、计数与错误。"""
        if status is not None and status not in ("running", "done", "failed"):
            raise InputError("status", "状态只能是 running、done 或 failed")
        clauses: list[str] = []
        args: list[Any] = []
        if job:
            clauses.append("job = {}")
            args.append(job)
        if status:
            clauses.append("status = {}")
            args.append(status)
        if paging.after:
            try:
                clauses.append("id < {}")
                args.append(int(paging.after))
            except ValueError:
                raise InputError("cursor", "无效的游标，请使用上一页返回的 next_cursor") from None
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = await fetch(
            "SELECT id, job, slot, status, attempt, cause, started_at, finished_at,"
            " next_retry_at, worker, outcome, counts, error FROM job_run"
            + where
            + " ORDER BY id DESC LIMIT {}",
            *args,
            paging.limit + 1,
        )
        cursor = None
        if len(rows) > paging.limit:
            rows = rows[: paging.limit]
            cursor = encode_cursor(rows[-1]["id"])
        return Page(
            items=[
                JobRunOut(
                    id=str(r["id"]),
                    job=str(r["job"]),
                    period=str(r["slot"]),
                    status=str(r["status"]),
                    attempt=int(r["attempt"]),
                    cause=str(r["cause"]),
                    started_at=r["started_at"],
                    finished_at=r["finished_at"],
                    next_retry_at=r["next_retry_at"],
                    worker=str(r["worker"]),
                    outcome=str(r["outcome"]),
                    counts=json.loads(r["counts"] or "{}"),
                    error=str(r["error"]),
                )
                for r in rows
            ],
            next_cursor=cursor,
        )


ROUTE_HANDLERS = [NoticeController, JobController]
