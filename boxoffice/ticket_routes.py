"""`GET /tickets/keys`: the public ticket keys (JWKS) door scanners verify QR payloads with.

Public on purpose (no API key): public keys are not secrets, and a scanner must be able to
refresh them before the doors open.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from boxoffice.settings import Settings
from boxoffice.ticketkeys import KeyRing, load_keyring

log = logging.getLogger(__name__)


def check_ticket_keys(settings: Settings) -> KeyRing:
    """Load the keys at startup, so a bad TICKET_SIGNING_KEYS stops the process at once."""
    ring = load_keyring(settings.ticket_signing_keys, settings.secret_key)
    if settings.ticket_signing_keys is None and settings.env != "dev":
        log.warning("TICKET_SIGNING_KEYS is unset: ticket keys are derived from SECRET_KEY "
                    "(development fallback; set TICKET_SIGNING_KEYS in production)")
    return ring


async def ticket_keys(request: Request) -> JSONResponse:
    from boxoffice.ticketkeys import keyring

    return JSONResponse(keyring().jwks(), headers={"Cache-Control": "public, max-age=300"})
