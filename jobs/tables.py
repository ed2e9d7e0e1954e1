"""Runs of scheduled jobs: one row per job and period, so that several processes sharing
a database run each period exactly once (a unique key on ``(job, slot)``, both engines).

``slot`` is the period (the schedule's fire time in the district's zone, e.g.
``2026-12-01T09:00``). A row is ``running`` under a lease its process renews; a run that
raised, or whose process died (lease expired), becomes ``failed`` and is taken over by
the next process that finds it due (``attempt`` + 1, bounded, with backoff).
"""

from piccolo.columns import BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class JobRun(Table, tablename="job_run"):
    id = BigSerial(primary_key=True)
    job = Varchar(length=60)
    slot = Varchar(length=40)
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    outcome = Varchar(length=400, default="")
    status = Varchar(length=12, default="running")  # running | done | failed
    attempt = Integer(default=1)
    lease_until = Timestamptz(null=True, default=None)
    next_retry_at = Timestamptz(null=True, default=None)
    # The period's own instant: what the job computes against, on every attempt.
    run_at = Timestamptz(null=True, default=None)
    worker = Varchar(length=80, default="")
    cause = Varchar(length=12, default="schedule")  # schedule | catch_up | manual | retry
    error = Text(default="")
    counts = Text(default="{}")
