"""Ticket signing and verification cost: Ed25519 compact JWS against the HMAC payloads it
replaced (itsdangerous), measured in the same run. No database: `confirm` signs one ticket per
seat, `checkIn` verifies one per scan.

    python -m benchmarks.tickets [--n 3000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import uuid
from collections.abc import Callable

os.environ.setdefault("BOXOFFICE_ENV", "dev")

from itsdangerous import URLSafeSerializer

from boxoffice.services.tickets import sign_ticket, verify_ticket


def per_call_us(fn: Callable[[], object], n: int, rounds: int = 5) -> float:
    """Median over rounds of the mean cost of one call, in microseconds."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        samples.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=3000)
    n = parser.parse_args().n
    hmac = URLSafeSerializer("x" * 40, salt="boxoffice.ticket")
    claims = {"b": 12345, "s": 678, "seat": "J-12", "n": uuid.uuid4().hex}
    hmac_token = hmac.dumps(claims)
    jws = sign_ticket(12345, 678, "J-12", uuid.uuid4())

    hmac_sign = per_call_us(lambda: hmac.dumps(claims), n)
    hmac_verify = per_call_us(lambda: hmac.loads(hmac_token), n)
    jws_sign = per_call_us(lambda: sign_ticket(12345, 678, "J-12", uuid.uuid4()), n)
    jws_verify = per_call_us(lambda: verify_ticket(jws), n)
    print(f"sign   Ed25519 JWS {jws_sign:7.0f} us/ticket | baseline HMAC {hmac_sign:5.0f} us "
          f"({jws_sign / hmac_sign:.1f}x)")
    print(f"verify Ed25519 JWS {jws_verify:7.0f} us/scan   | baseline HMAC {hmac_verify:5.0f} us "
          f"({jws_verify / hmac_verify:.1f}x)")
    print(f"payload length: JWS {len(jws)} chars | HMAC {len(hmac_token)} chars")


if __name__ == "__main__":
    main()
