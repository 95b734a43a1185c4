"""`boxoffice ticket-key …`: make and inspect Ed25519 ticket keys for TICKET_SIGNING_KEYS."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any


def cmd_generate(args: argparse.Namespace) -> None:
    from boxoffice.ticketkeys import generate_pem

    sys.stdout.write(generate_pem())


def cmd_public(args: argparse.Namespace) -> None:
    from boxoffice.ticketkeys import KeyConfigError, public_pem

    try:
        with open(args.file) as f:
            sys.stdout.write(public_pem(f.read()))
    except (OSError, KeyConfigError, ValueError) as exc:
        print(f"cannot read a private key from {args.file}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_list(args: argparse.Namespace) -> None:
    from boxoffice.ticketkeys import KeyConfigError, keyring

    try:
        ring = keyring()
    except (KeyConfigError, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(1) from None
    from boxoffice.db import with_pool
    from boxoffice.services.tickets import upcoming_shows_signed_by

    async def usage() -> list[int]:
        return [await upcoming_shows_signed_by(k.kid) for k in ring.keys]

    counts = asyncio.run(with_pool(usage))
    for i, (key, shows) in enumerate(zip(ring.keys, counts, strict=True)):
        role = "signs" if i == 0 else "verifies"
        note = "" if i == 0 or shows else "; no upcoming show: can be removed"
        print(f"{key.kid} {role} (tickets for {shows} upcoming show(s){note})")


def register(sub: Any) -> None:
    keys = sub.add_parser("ticket-key", help="make and inspect ticket signing keys")
    keys_sub = keys.add_subparsers(dest="ticket_key_command", required=True)
    keys_sub.add_parser("generate", help="print a new Ed25519 private key (PEM)").set_defaults(
        fn=cmd_generate)
    public = keys_sub.add_parser("public", help="print the public PEM of a private key file")
    public.add_argument("file")
    public.set_defaults(fn=cmd_public)
    keys_sub.add_parser("list", help="the configured keys' kids (the first signs)").set_defaults(
        fn=cmd_list)
