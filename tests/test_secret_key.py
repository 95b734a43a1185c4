"""SECRET_KEY: required outside BOXOFFICE_ENV=dev (serve and worker refuse to start with a
one-line reason), and rotated without invalidating what the previous key signed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from boxoffice.auth import User, issue_token, read_token
from boxoffice.settings import reset_settings_cache

BIN = str(Path(sys.executable).parent / "boxoffice")
LONG = "k" * 40


def run(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    return subprocess.run([BIN, *args], env=full, capture_output=True, text=True, timeout=60,
                          check=False)


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["worker"]])
@pytest.mark.parametrize("secret", [None, "", "short-but-not-32-characters"],
                         ids=["unset", "empty", "short"])
def test_serve_and_worker_refuse_a_missing_or_short_secret(command: list[str],
                                                           secret: str | None) -> None:
    proc = run(*command, BOXOFFICE_ENV="production", SECRET_KEY=secret)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "SECRET_KEY" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def production_server() -> Iterator[str]:
    port = _free_port()
    env = {**os.environ, "BOXOFFICE_ENV": "production", "SECRET_KEY": LONG}
    proc = subprocess.Popen([BIN, "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_serve_starts_with_a_long_secret_outside_dev(production_server: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx2.get(production_server + "/healthz", timeout=1).text == "ok":
                break
        except httpx2.HTTPError:
            pass
        assert time.monotonic() < deadline, "serve did not start with a 40-character key"
        time.sleep(0.2)


def test_tokens_signed_with_the_previous_key_verify_during_a_rotation(
        monkeypatch: pytest.MonkeyPatch) -> None:
    user = User(id=7, email="fan@example.com")
    monkeypatch.setenv("SECRET_KEY", "old-" + LONG)
    reset_settings_cache()
    old_token = issue_token(user)
    try:
        monkeypatch.setenv("SECRET_KEY", "new-" + LONG)
        reset_settings_cache()
        assert read_token(old_token) is None  # rotated without keeping the old key: refused
        monkeypatch.setenv("SECRET_KEY_PREVIOUS", "old-" + LONG)
        reset_settings_cache()
        assert read_token(old_token) == user  # kept for verification: still valid
        new_token = issue_token(user)
        assert new_token != old_token and read_token(new_token) == user
        monkeypatch.delenv("SECRET_KEY_PREVIOUS")
        monkeypatch.setenv("SECRET_KEYS_OLD", "older-" + LONG + ",old-" + LONG)
        reset_settings_cache()
        assert read_token(old_token) == user
        monkeypatch.setenv("SECRET_KEY", "old-" + LONG)  # the new key alone does not verify
        monkeypatch.delenv("SECRET_KEYS_OLD")
        reset_settings_cache()
        assert read_token(new_token) is None
    finally:
        monkeypatch.undo()
        reset_settings_cache()


SEARCH = """query S($input: SearchInput!) { search(input: $input) {
  edges { node { showId } } pageInfo { endCursor } } }"""


async def test_search_cursors_of_the_previous_key_verify_during_a_rotation(
        api: Any, demo: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "old-" + LONG)
    reset_settings_cache()
    try:
        page = (await api(SEARCH, {"input": {"first": 1}}))["search"]
        cursor = page["pageInfo"]["endCursor"]
        monkeypatch.setenv("SECRET_KEY", "new-" + LONG)
        reset_settings_cache()
        body = await api.raw(SEARCH, {"input": {"first": 1, "after": cursor}})
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        monkeypatch.setenv("SECRET_KEY_PREVIOUS", "old-" + LONG)
        reset_settings_cache()
        nxt = (await api(SEARCH, {"input": {"first": 1, "after": cursor}}))["search"]
        assert nxt["edges"] and nxt["edges"][0] != page["edges"][0]
    finally:
        monkeypatch.undo()
        reset_settings_cache()
