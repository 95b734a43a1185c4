"""Logs: one configuration for every process; JSON lines (LOG_FORMAT=json) that carry the
GraphQL operation name and the reservation id of the request they belong to."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx2

from boxoffice import logs
from tests.factories import make_show
from tests.logsupport import configured_logging

BIN = str(Path(sys.executable).parent / "boxoffice")
OPS = Path(__file__).resolve().parents[1] / "frontend_contract" / "operations"


def test_records_inside_an_operation_carry_its_name_and_reservation() -> None:
    log = logging.getLogger("boxoffice.test")
    with configured_logging(fmt="json") as buf:
        log.info("outside")
        with logs.operation("Confirm", 42):
            log.warning("inside %s", "it")
    outside, inside = (json.loads(line) for line in buf.getvalue().splitlines())
    assert outside["message"] == "outside" and "operationName" not in outside
    assert inside["message"] == "inside it" and inside["level"] == "WARNING"
    assert inside["operationName"] == "Confirm" and inside["reservationId"] == "42"
    assert inside["logger"] == "boxoffice.test" and inside["time"]


def test_text_lines_show_the_operation_in_brackets() -> None:
    log = logging.getLogger("boxoffice.test")
    with configured_logging(fmt="text") as buf:
        with logs.operation("Reserve", 7):
            log.info("held")
    assert buf.getvalue().rstrip().endswith("INFO boxoffice.test: held [Reserve reservation=7]")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_writes_json_lines_with_the_operation_and_reservation(
        api: Any, tmp_path: Path) -> None:
    show = await make_show(rows=1, per_row=3)
    token = await api.token("logs@example.com")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    err = tmp_path / "serve.log"
    with err.open("wb") as sink:
        proc = await asyncio.create_subprocess_exec(
            BIN, "serve", "--port", str(port), stdout=subprocess.DEVNULL, stderr=sink,
            env={**os.environ, "LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
    try:
        async with httpx2.AsyncClient(base_url=url, timeout=10) as c:
            for _ in range(150):  # up to ~30 s on a busy machine
                try:
                    if (await c.get("/healthz")).status_code == 200:
                        break
                except httpx2.HTTPError:
                    pass
                await asyncio.sleep(0.2)
            headers = {"X-API-Key": api.api_key, "Authorization": f"Bearer {token}"}

            async def send(op: str, variables: dict[str, Any]) -> dict[str, Any]:
                body = {"query": (OPS / f"{op}.graphql").read_text(), "operationName": op,
                        "variables": variables}
                resp = await c.post("/graphql", json=body, headers=headers)
                assert resp.status_code == 200, resp.text
                data: dict[str, Any] = resp.json()["data"]
                return data

            held = (await send("Reserve", {"input": {"showId": str(show.show_id),
                                                     "seats": ["A-1"]}}))["reserve"]
            assert held["__typename"] == "Reservation", held
            await send("CancelReservation", {"reservationId": held["id"]})
            await send("Cities", {})
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 15)
    records = [json.loads(line) for line in err.read_text().splitlines()]  # every line parses
    access = [r for r in records if r["logger"] == "uvicorn.access" and "POST" in r["message"]]
    assert [(r.get("operationName"), r.get("reservationId")) for r in access] == [
        ("Reserve", held["id"]), ("CancelReservation", held["id"]), ("Cities", None)], access
