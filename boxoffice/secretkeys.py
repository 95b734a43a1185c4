"""SECRET_KEY: required outside dev, and rotated without logging everybody out.

`SECRET_KEY` signs user bearer tokens and search cursors. Outside `BOXOFFICE_ENV=dev` it must be
set and at least 32 characters: `serve` and `worker` refuse to start otherwise (one line on
stderr, exit code 2). To rotate, move the old key to `SECRET_KEY_PREVIOUS` (or append it to the
comma-separated `SECRET_KEYS_OLD`) and set a new `SECRET_KEY`: new tokens and cursors are signed
with the new key, old ones still verify until their own expiry; drop the old key after
`token_ttl_seconds` (7 days).
"""

from __future__ import annotations

from boxoffice.settings import _DEV_SECRET, Settings, get_settings

MIN_SECRET_CHARS = 32


def secret_problem(settings: Settings) -> str | None:
    """Why this process must not start with these settings, or None."""
    if settings.env == "dev":
        return None
    if not settings.secret_key or settings.secret_key == _DEV_SECRET:
        return ("SECRET_KEY is not set: set a random value of at least 32 characters "
                "(or BOXOFFICE_ENV=dev for local development)")
    if len(settings.secret_key) < MIN_SECRET_CHARS:
        return (f"SECRET_KEY is too short ({len(settings.secret_key)} characters): "
                f"at least {MIN_SECRET_CHARS} are required")
    return None


def signing_key() -> str:
    return get_settings().secret_key


def verification_keys() -> list[str]:
    """Every key a signature may have been made with, the current one LAST (itsdangerous signs
    with the last of a list and verifies against all)."""
    s = get_settings()
    return [k for k in s.secret_keys_old if k != s.secret_key] + [s.secret_key]
