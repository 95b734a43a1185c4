"""A private Postgres cluster for the fault tests that stop it, migrated once per session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from devtools import localsvc
from tests.faults.burst import FANS, USERS_PER_FAN, Template
from tests.faults.support import PrivateCluster, boxoffice_cli


@dataclass
class ClusterWorld:
    cluster: PrivateCluster
    env: dict[str, str]  # DATABASE_URL and friends for processes on this cluster
    api_key: str
    token: str


@pytest.fixture(scope="session")
def cluster_world(database: None) -> Iterator[ClusterWorld]:
    cluster = PrivateCluster()
    try:
        cluster.start()
        env = {"DATABASE_URL": cluster.url("boxoffice"), "RATE_LIMITS": "off"}
        localsvc.create_database(env["DATABASE_URL"])
        boxoffice_cli("migrate", env=env)
        boxoffice_cli("seed-demo", env=env)
        key = boxoffice_cli("apikey", "create", "--name", "faults", env=env).split()[-1]
        token = boxoffice_cli("token", "fan@example.com", env=env).split()[-1]
        yield ClusterWorld(cluster, env, key, token)
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def matrix_template(cluster_world: ClusterWorld) -> Template:
    """The fault matrix's template database on the private cluster: migrated, seeded, with a key
    and the fans' tokens; each scenario runs on a copy (`CREATE DATABASE … TEMPLATE`)."""
    name = "matrix_template"
    env = {**cluster_world.env, "DATABASE_URL": cluster_world.cluster.url(name)}
    localsvc.create_database(env["DATABASE_URL"])
    boxoffice_cli("migrate", env=env)
    boxoffice_cli("seed-demo", env=env)
    key = boxoffice_cli("apikey", "create", "--name", "matrix", env=env).split()[-1]
    emails = [f"fan{i}@matrix.example" for i in range(FANS * USERS_PER_FAN)]
    tokens = boxoffice_cli("token", *emails, env=env).split()
    return Template(cluster_world.cluster, name, key, tokens)
