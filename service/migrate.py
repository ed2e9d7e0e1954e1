"""Apply the Piccolo migrations in ``migrations/`` (``changxiao migrate``)."""

from __future__ import annotations

import contextlib
import io

from piccolo.apps.migrations.commands.forwards import run_forwards


async def migrate(quiet: bool = True) -> None:
    """Bring the schema up to date; safe to run again."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output) if quiet else contextlib.nullcontext():
        response = await run_forwards(app_name="all", migration_id="all", fake=False)
    if not response.success:
        raise RuntimeError(f"migration failed: {response.message}\n{output.getvalue()}")
