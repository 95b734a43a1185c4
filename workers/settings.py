"""WorkerSettings for `boxoffice worker` (arq reads the class __dict__: no inheritance).

Jobs:
- expire_hold(reservation_id)      deferred to the hold's expires_at, id `expire:{id}`; confirm
                                   and cancel drop it from the queue (services/jobs.py), never
                                   abort it (abort waits 0.5 s and counts as a failed job)
- deliver_notifications()          the outbox: first attempts of PENDING rows, in batches
- deliver_notification(id)         a retry of one row after its backoff, id `notify:{id}`
Crons: the expiry sweeper every 2 s (and once in on_startup), the outbox every 2 s, the queue
safety net every 5 s, FREE-seat counter repair every 10 s (recent shows) and every 10 min (all
shows that have not ended, also at start), lost notification retries every 30 s, refunds of
cancelled shows that failed every minute (finish_show_refunds), waiting-room admissions every
second, the payment reconciler every 5 s (and at start: boxoffice.services.reconcile).

keep_result is short: arq refuses a job id whose result is still kept, and job ids here are
derived from rows (`expire:{id}`, `notify:{id}`); a few seconds is enough to read an outcome.
"""

from __future__ import annotations

from arq import cron, func

from workers.context import shutdown, startup
from workers.holds import (
    expire_hold,
    reconcile_all_free_seats,
    reconcile_free_seats,
    sweep_expired_holds,
)
from workers.jobmetrics import job_started
from workers.notifications import (
    deliver_notification,
    deliver_notifications,
    recover_notification_retries,
)
from workers.payments import reconcile_payments
from workers.queue import serve_waiting
from workers.refunds import finish_show_refunds
from workers.room import advance_rooms

EVERY_2S = set(range(0, 60, 2))
EVERY_2S_ODD = set(range(1, 60, 2))
EVERY_5S = set(range(3, 60, 5))
EVERY_10S = set(range(5, 60, 10))


class WorkerSettings:
    functions = [
        func(expire_hold, max_tries=20),
        func(deliver_notifications, keep_result=0),
        # keep_result=0 frees the id `notify:{id}` at once; attempts and FAILED are decided
        # in Postgres (notify_max_attempts), not by arq's try counter
        func(deliver_notification, keep_result=0, max_tries=1000),
        func(finish_show_refunds, keep_result=0),
    ]
    cron_jobs = [
        cron(sweep_expired_holds, second=EVERY_2S),
        cron(deliver_notifications, second=EVERY_2S_ODD),
        cron(serve_waiting, second=EVERY_5S),
        cron(reconcile_free_seats, second=EVERY_10S),
        cron(reconcile_all_free_seats, minute=set(range(0, 60, 10)), second=30,
             run_at_startup=True),
        cron(recover_notification_retries, second={17, 47}),
        cron(finish_show_refunds, second=41),  # refunds of cancelled shows that failed
        cron(advance_rooms, second=set(range(60))),  # on-sale waiting rooms
        cron(reconcile_payments, second=set(range(4, 60, 5)), run_at_startup=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    # no redis_settings here: the builder passes a pool from Settings (redisconn.arq_pool)
    on_job_start = job_started  # the job-lag gauge (workers/jobmetrics.py)
    allow_abort_jobs = False  # nothing aborts: a stale expiry job no-ops instead
    keep_result = 5
    # deferred jobs fire up to ~poll_delay late (docs/stack.md); expiry targets seconds, not minutes
    poll_delay = 0.1
    max_jobs = 16
    job_timeout = 60
    # on SIGTERM/SIGINT stop taking jobs and let running ones finish (each is a short
    # transaction; cancelling one is safe, it rolls back, but it is noisy and wasted work)
    job_completion_wait = 10
    health_check_interval = 10
