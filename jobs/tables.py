"""Claims of scheduled job runs: one row per job and time slot, so that several app
processes sharing a database run each slot exactly once (a unique key, on both engines)."""

from piccolo.columns import BigSerial, Timestamptz, Varchar
from piccolo.table import Table


class JobRun(Table, tablename="job_run"):
    id = BigSerial(primary_key=True)
    job = Varchar(length=60)
    slot = Varchar(length=40)
    started_at = Timestamptz()
    finished_at = Timestamptz(null=True, default=None)
    outcome = Varchar(length=400, default="")
