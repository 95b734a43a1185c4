"""The channels this process delivers through, by the name stored in `notification.channel`."""

from __future__ import annotations

from boxoffice.notify.channels import (
    Channel,
    LogChannel,
    LogPushChannel,
    LogSmsChannel,
    UnconfiguredChannel,
)
from boxoffice.notify.email import EmailChannel
from boxoffice.settings import Settings


def build_channels(settings: Settings) -> dict[str, Channel]:
    """Channels by the name stored in `notification.channel`."""
    email: Channel = (
        EmailChannel(settings.smtp_url, settings.smtp_from, settings.smtp_timeout_seconds)
        if settings.smtp_url else UnconfiguredChannel("email", "SMTP_URL is not set")
    )
    return {"log": LogChannel(), "email": email, "sms": LogSmsChannel(),
            "push": LogPushChannel()}
