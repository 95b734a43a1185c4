"""Operator-facing behaviour: CLI output, `apikey revoke`, SECRET_KEY checks, GRAPHIQL and
INTROSPECTION switches."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from collections.abc import Iterator, Mapping

import httpx2
import pytest

from tests.acceptance import ops
from tests.acceptance.conftest import World, last_line
from tests.acceptance.support import BIN, Api, child_env, cli, cli_ok, free_port, server


def test_token_prints_one_line_per_email_in_order() -> None:
    out = cli_ok("token", "order-a@acceptance.test", "order-b@acceptance.test").splitlines()
    assert len(out) == 2 and out[0] != out[1] and all(out)
    again = cli_ok("token", "order-b@acceptance.test").splitlines()
    assert len(again) == 1


async def test_revoked_key_stops_working_within_5_seconds_on_every_process(
        world: World) -> None:
    key = last_line(cli_ok("apikey", "create", "--name", "acc-revokable"))
    apis = [Api(world.main.server, key), Api(world.fast.server, key)]
    for api in apis:  # both processes have seen (and may cache) the live key
        assert (await api(ops.CITIES))["cities"]
    cli_ok("apikey", "revoke", "acc-revokable")
    revoked_at = time.monotonic()
    for api in apis:
        while True:
            resp = await api.post(ops.CITIES)
            if resp.status_code == 401 or "UNAUTHENTICATED" in resp.text:
                break
            assert time.monotonic() - revoked_at < 5.5, "a revoked key still works after 5 s"
            await asyncio.sleep(0.25)
    assert (await world.main(ops.CITIES))["cities"]  # other keys carry on


def run_briefly(command: str, env: Mapping[str, str | None], timeout: float = 30
                ) -> subprocess.CompletedProcess[str] | None:
    """`boxoffice COMMAND`; None when it is still running after `timeout` (it started)."""
    args = [command] + (["--port", str(free_port())] if command == "serve" else [])
    proc = subprocess.Popen([BIN, *args], env=child_env(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.terminate()
        proc.communicate(timeout=10)
        return None
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.mark.parametrize("command", ["serve", "worker"])
@pytest.mark.parametrize("secret", [None, "", "x" * 31])
def test_a_missing_or_short_secret_key_stops_the_process(command: str, secret: str | None
                                                         ) -> None:
    env = {"BOXOFFICE_ENV": "production", "SECRET_KEY": secret}
    done = run_briefly(command, env)
    assert done is not None, f"{command} kept running without a usable SECRET_KEY"
    assert done.returncode != 0
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr[-2000:]
    assert "SECRET_KEY" in lines[0] and "Traceback" not in done.stderr


def test_a_long_secret_key_outside_dev_starts_serve() -> None:
    env = {"BOXOFFICE_ENV": "production", "SECRET_KEY": "s" * 40,
           "TICKET_SIGNING_KEYS": ""}
    with server(env) as s:
        assert httpx2.get(f"{s.base}/healthz", timeout=5).status_code == 200


def test_the_dev_environment_needs_no_secret_key() -> None:
    with server({"BOXOFFICE_ENV": "dev", "SECRET_KEY": None}) as s:
        assert httpx2.get(f"{s.base}/healthz", timeout=5).status_code == 200


@pytest.fixture(scope="module")
def locked_down(world: World) -> Iterator[Api]:
    with server({"GRAPHIQL": "off", "INTROSPECTION": "off"}) as s:
        yield Api(s, world.main.key)


def graphiql_page(base: str, key: str) -> httpx2.Response:
    return httpx2.get(f"{base}/graphql", headers={"Accept": "text/html", "X-API-Key": key},
                      timeout=10)


def test_graphiql_is_on_by_default(world: World) -> None:
    resp = graphiql_page(world.main.server.base, world.main.key)
    assert resp.status_code == 200 and "graphiql" in resp.text.lower()


def test_graphiql_off(locked_down: Api) -> None:
    resp = graphiql_page(locked_down.server.base, locked_down.key)
    assert resp.status_code != 200 or "graphiql" not in resp.text.lower()
    assert resp.status_code < 500


async def test_introspection_on_by_default(api: Api) -> None:
    data = await api("{ __schema { queryType { name } } }")
    assert data["__schema"]["queryType"]["name"] == "Query"


async def test_introspection_off(locked_down: Api) -> None:
    for query in ("{ __schema { queryType { name } } }", '{ __type(name: "Query") { name } }'):
        body = await locked_down.raw(query)
        assert body.get("errors") and not (body.get("data") or {}).get("__schema"), body
        assert not (body.get("data") or {}).get("__type"), body
    # ordinary operations still work
    assert (await locked_down(ops.CITIES))["cities"]


def test_apikey_create_roles_print_the_key_last() -> None:
    for role in ("client", "door", "admin"):
        out = cli_ok("apikey", "create", "--name", f"acc-role-{role}", "--role", role)
        assert last_line(out).strip() == last_line(out)
    assert cli("apikey", "create", "--name", "x", "--role", "emperor").returncode != 0


def test_healthz_answers(world: World) -> None:
    assert httpx2.get(f"{world.main.server.base}/healthz", timeout=5).status_code == 200


def external_assets(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["'](?:https?:)?//(?!127\.0\.0\.1|localhost)[^"']+""",
                      html)


def test_graphiql_uses_local_assets_only(world: World) -> None:
    resp = graphiql_page(world.main.server.base, world.main.key)
    assert resp.status_code == 200
    assert external_assets(resp.text) == []


def test_the_fans_web_app_is_served_at_the_root(world: World) -> None:
    resp = httpx2.get(f"{world.main.server.base}/", headers={"Accept": "text/html"}, timeout=10)
    assert resp.status_code == 200 and "<html" in resp.text.lower()
    assert external_assets(resp.text) == []
