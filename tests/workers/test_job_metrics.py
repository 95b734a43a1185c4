"""The worker's job lag and the expiry transaction, as the metrics show them."""

from __future__ import annotations

import dataclasses

from boxoffice import metrics
from tests.api.booking_ops import RESERVE
from tests.factories import make_show
from tests.observability.scrape import value
from tests.workers.conftest import reservation_status, run_burst, state_of
from workers.jobmetrics import job_kind


def test_job_ids_map_to_a_bounded_label():
    assert job_kind("expire:123") == "expire"
    assert job_kind("notify:9") == "notify"
    assert job_kind("cron:sweep_expired_holds:1700000000000") == "sweep_expired_holds"
    assert job_kind("3f2c9a0e5b7d4c1e9f0a") == "other"
    assert job_kind("Robert'); DROP TABLE:1") == "other"


async def test_an_expiry_job_records_its_lag_and_the_expiry_outcome(api):
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, hold_seconds=1)
    show = await make_show(rows=1, per_row=4)
    token = await api.token("lag@example.com")
    r = (await api(RESERVE, {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                   token=token))["reserve"]
    before = metrics.render().decode()

    w = await run_burst()  # waits for the deferred expiry job and runs it
    assert w.jobs_complete == 1 and await reservation_status(r["id"]) == "EXPIRED"
    after = metrics.render().decode()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("boxoffice_worker_job_lag_seconds_distribution_count", function="expire") == 1
    assert value(after, "boxoffice_worker_job_lag_seconds") >= 0
    assert delta("boxoffice_booking_seconds_count", action="expiry", outcome="ok") == 1
