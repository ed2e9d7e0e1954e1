"""The ``changxiao`` command: serve, migrate, seed, user add, import, fund verify, warranty
refresh-ends, jobs, worker."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import service  # noqa: F401  (sets PICCOLO_CONF before any table is used)


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def cmd_migrate(_: argparse.Namespace) -> int:
    from service.migrate import migrate

    _run(migrate())
    print("数据库结构已是最新 (schema up to date).")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.config import get_settings

    settings = get_settings()
    workers = settings.workers if args.workers is None else args.workers
    if workers < 1:
        print(f"error: --workers must be at least 1, not {workers}", file=sys.stderr)
        return 2
    # The import string (not an app object) lets uvicorn start each worker's own app.
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=args.host or settings.host,
        port=args.port or settings.port,
        workers=workers,
        log_level="info",
    )
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    if not args.demo:
        print("nothing to seed: pass --demo to load the Laocheng demo district", file=sys.stderr)
        return 2
    from service.registry.demo import DEMO_LOGINS, DemoRefused, seed_demo

    async def go() -> bool:
        from service.db import close_database, open_database

        await open_database()
        try:
            seeded = await seed_demo(if_empty=args.if_empty)
            if seeded:
                # After the seed's first deposits (seed_demo keeps its promise of them).
                from service.registry.demo_life import seed_demo_life

                await seed_demo_life({key: login[0] for key, login in DEMO_LOGINS.items()})
                from service.registry.demo_works import seed_recent_work

                await seed_recent_work(DEMO_LOGINS["committee"][0])
                from service.db import fetch, is_postgres

                if is_postgres():
                    # A bulk load: give the planner the tables' statistics now rather
                    # than when autovacuum next looks (or never, where it is off).
                    await fetch("ANALYZE")
            else:
                # A demo seeded before the standards existed gets its quarter of inspections.
                from service.standards.demo import finish_demo_standards

                await finish_demo_standards(
                    DEMO_LOGINS["bureau"][0],
                    [DEMO_LOGINS["company"][0], DEMO_LOGINS["contractor"][0]],
                )
            return seeded
        finally:
            await close_database()

    try:
        seeded = _run(go())
    except DemoRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if seeded:
        print("已载入老城区演示数据 (Laocheng demo district loaded).")
    else:
        print("数据库非空，未载入演示数据 (database not empty; demo not loaded).")
    print("演示登录 (demo logins):")
    for role, (username, password) in DEMO_LOGINS.items():
        print(f"  {role:<10} {username:<20} {password}")
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    from service.auth.bootstrap import add_user

    try:
        account_id = _run(
            add_user(
                username=args.username,
                password=args.password,
                role=args.role,
                org_id=args.org_id,
                household_ids=args.household_id or None,
            )
        )
    except Exception as exc:  # the CLI reports, it does not trace
        detail = getattr(exc, "detail", None) or str(exc)
        print(f"error: {detail}", file=sys.stderr)
        return 1
    print(f"user {args.username} ({args.role}) created: {account_id}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from service.registry.household_import import import_file_cli

    return int(_run(import_file_cli(args.community_code, Path(args.file))))


def cmd_fund_verify(args: argparse.Namespace) -> int:
    from service.funds.cli import verify_cli

    return int(_run(verify_cli(args.community_code, head=args.head)))


def cmd_fund_heads(args: argparse.Namespace) -> int:
    from service.funds.cli import heads_cli

    return int(_run(heads_cli(args.community_code)))


def cmd_warranty_refresh_ends(_: argparse.Namespace) -> int:
    from service.warranty.workdays import refresh_ends_cli

    return int(_run(refresh_ends_cli()))


def cmd_claim_codes(args: argparse.Namespace) -> int:
    from service.auth.claims import write_claim_codes
    from service.db import close_database, open_database

    async def go() -> int:
        await open_database()
        try:
            if args.out:
                with open(args.out, "w", newline="", encoding="utf-8-sig") as out:
                    return await write_claim_codes(args.community_code, out, args.days)
            return await write_claim_codes(args.community_code, sys.stdout, args.days)
        finally:
            await close_database()

    return int(_run(go()))


def cmd_jobs(args: argparse.Namespace) -> int:
    from jobs import cli

    if args.jobs_cmd == "list":
        return int(_run(cli.with_database(cli.list_jobs())))
    if args.jobs_cmd == "run":
        return int(_run(cli.with_database(cli.run_job(args.name, args.period, args.again))))
    return int(_run(cli.with_database(cli.history(args.name, args.limit))))


def cmd_worker(_: argparse.Namespace) -> int:
    from jobs import cli

    return int(_run(cli.worker()))


def progress_bar(done: int, total: int) -> None:
    """A one-line progress bar on standard error."""
    width = 30
    filled = width * done // total if total else width
    end = "\n" if done >= total else ""
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end=end, file=sys.stderr)


def cmd_report_fund_statements(args: argparse.Namespace) -> int:
    from service.clock import today
    from service.db import close_database, open_database
    from service.reports.fund_statement import FIRST_STATEMENT_YEAR
    from service.reports.publish import render_fund_statements

    if not FIRST_STATEMENT_YEAR <= args.year <= today().year:
        print(f"error: --year must be {FIRST_STATEMENT_YEAR}..{today().year}", file=sys.stderr)
        return 2
    out = Path(args.out or f"var/statements/{args.year}")
    if args.workers is not None and args.workers < 1:
        print("error: --workers 须为 1 或更大的整数（工作进程数）", file=sys.stderr)
        return 2
    if out.exists() and not out.is_dir():
        print(f"error: --out {out} 已存在且不是文件夹，请指定一个文件夹", file=sys.stderr)
        return 2

    async def go() -> int:
        await open_database()
        try:
            paths = await render_fund_statements(
                args.year, out, workers=args.workers, progress=progress_bar
            )
        finally:
            await close_database()
        print(f"{len(paths)} 份年度公布表已写入 {out}")
        return 0

    return int(_run(go()))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="changxiao",
        description="长效 Changxiao: long-term management of renovated old communities. "
        "DATABASE_URL picks the database (default sqlite:///var/changxiao.sqlite3).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="serve the API and pages over HTTP")
    p.add_argument("--host", help="address to bind (default 127.0.0.1 or CHANGXIAO_HOST)")
    p.add_argument("--port", type=int, help="port (default 8000 or CHANGXIAO_PORT)")
    p.add_argument(
        "--workers",
        type=int,
        help="uvicorn worker processes (default 1 or CHANGXIAO_WORKERS)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="bring the database schema up to date (safe to repeat)")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("seed", help="load demo data into an empty database")
    p.add_argument("--demo", action="store_true", help="the Laocheng demo district")
    p.add_argument(
        "--if-empty",
        action="store_true",
        help="do nothing (and succeed) when the database already holds a district",
    )
    p.set_defaults(func=cmd_seed)

    user = sub.add_parser("user", help="manage users").add_subparsers(
        dest="user_cmd", required=True
    )
    p = user.add_parser(
        "add",
        help="create a user; the first bureau user also creates the bureau and district",
    )
    p.add_argument("--username", required=True)
    p.add_argument("--password", required=True, help="at least 8 characters")
    p.add_argument(
        "--role",
        required=True,
        choices=["bureau", "auditor", "company", "committee", "contractor", "owner", "street"],
    )
    p.add_argument(
        "--org-id", help="the user's organisation (all roles but owner and bootstrap bureau)"
    )
    p.add_argument("--household-id", action="append", help="an owner's household (repeatable)")
    p.set_defaults(func=cmd_user_add)

    p = sub.add_parser(
        "import",
        help="import a community's household ledger (CSV or XLSX); all rows or none",
    )
    p.add_argument("--community-code", required=True, help="the community's code")
    p.add_argument("file", help="path to a .csv or .xlsx ledger")
    p.set_defaults(func=cmd_import)

    fund = sub.add_parser("fund", help="maintenance fund").add_subparsers(
        dest="fund_cmd", required=True
    )
    p = fund.add_parser(
        "verify",
        help="recompute every hash chain and balance from the journal; exit 1 on a mismatch",
    )
    p.add_argument("--community-code", help="only this community (default: all)")
    p.add_argument(
        "--head",
        help="a chain head kept from a statement or export: check that the journal still"
        " holds it at the place and time the witness log recorded (exit 1 if not)",
    )
    p.set_defaults(func=cmd_fund_verify)
    p = fund.add_parser(
        "heads",
        help="export the chain-head witness log (JSON lines: community, seq, head, tag, time)",
    )
    p.add_argument("--community-code", help="only this community (default: all)")
    p.set_defaults(func=cmd_fund_heads)

    warranty = sub.add_parser("warranty", help="works and warranty").add_subparsers(
        dest="warranty_cmd", required=True
    )
    p = warranty.add_parser(
        "refresh-ends",
        help="recompute stored warranty ends with the current working-day calendar "
        "(after upgrading the holidays package)",
    )
    p.set_defaults(func=cmd_warranty_refresh_ends)
    owners = sub.add_parser("owners", help="owners").add_subparsers(
        dest="owners_cmd", required=True
    )
    p = owners.add_parser(
        "claim-codes",
        help="issue a one-time claim code per household of a community (CSV for printing;"
        " earlier unused codes are revoked)",
    )
    p.add_argument("--community-code", required=True, help="the community's code")
    p.add_argument("--out", help="write the CSV here (default: standard output)")
    p.add_argument("--days", type=int, default=90, help="days the codes stay valid (default 90)")
    p.set_defaults(func=cmd_claim_codes)

    jobs = sub.add_parser("jobs", help="scheduled jobs").add_subparsers(
        dest="jobs_cmd", required=True
    )
    p = jobs.add_parser("list", help="every job: name, schedule, last run, next run")
    p.set_defaults(func=cmd_jobs)
    p = jobs.add_parser(
        "run",
        help="run one period of a job now, claimed as the scheduler claims it (never twice)",
    )
    p.add_argument("name", help="the job (see `changxiao jobs list`)")
    p.add_argument(
        "--period",
        help="YYYY, YYYY-MM, YYYY-MM-DD (the schedule's first run in it) or an exact"
        " period YYYY-MM-DDTHH:MM (default: the latest period due)",
    )
    p.add_argument(
        "--again",
        action="store_true",
        help="also rerun the period if it failed for good (its attempts spent); a done"
        " period is never run twice",
    )
    p.set_defaults(func=cmd_jobs)
    p = jobs.add_parser("history", help="job runs, newest first")
    p.add_argument("name", nargs="?", help="only this job")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=cmd_jobs)

    p = sub.add_parser(
        "worker",
        help="run the scheduled jobs in this process only (deployments that keep web"
        " processes free of jobs set CHANGXIAO_SCHEDULER=0 on them)",
    )
    p.set_defaults(func=cmd_worker)

    report = sub.add_parser("report", help="documents").add_subparsers(
        dest="report_cmd", required=True
    )
    p = report.add_parser(
        "fund-statements",
        help="every community's yearly maintenance-fund statement (PDF) into a folder,"
        " rendered by a process pool",
    )
    p.add_argument("--year", type=int, required=True, help="the statement year")
    p.add_argument("--out", help="folder for the PDFs (default var/statements/YEAR)")
    p.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: the cores, at most 4)"
    )
    p.set_defaults(func=cmd_report_fund_statements)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
