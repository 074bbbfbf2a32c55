"""`referrals worker` with a shorter send-claim timeout, for the fault tests only.

A distribution claimed by a worker that is then killed stays `sending` until the claim expires
(workers.steps.reconcile.SEND_CLAIM_TIMEOUT, 5 minutes, not a setting). This entry point sets it from
REFERRALS_TEST_SEND_CLAIM_TIMEOUT_SECONDS at import time. Run as `python -m tests.faults.worker_main
worker ...`: multiprocessing's spawn re-imports this module in every worker process it starts, so the
pool's reconciler and its workers all see the same value. Nothing else differs from `referrals worker`.
"""
from __future__ import annotations

import os
from datetime import timedelta

import workers.steps.notify
import workers.steps.reconcile

_seconds = os.environ.get("REFERRALS_TEST_SEND_CLAIM_TIMEOUT_SECONDS")
if _seconds:
    workers.steps.reconcile.SEND_CLAIM_TIMEOUT = workers.steps.notify.SEND_CLAIM_TIMEOUT = timedelta(seconds=float(_seconds))

if __name__ == "__main__":
    from cli.main import app

    app(prog_name="referrals")
