"""Notifications: channels behind one interface, message rendering, and outbox delivery.

The outbox rows are written by the booking services in the transaction of the event they
announce; the worker delivers them (boxoffice.notify.delivery), never the request path.
"""

from boxoffice.notify.channels import (
    Attachment,
    Channel,
    LogChannel,
    LogPushChannel,
    LogSmsChannel,
    Message,
    PermanentDeliveryError,
    PushChannel,
    Recipient,
    SmsChannel,
)
from boxoffice.notify.email import EmailChannel
from boxoffice.notify.messages import render
from boxoffice.notify.registry import build_channels

__all__ = [
    "Attachment",
    "Channel",
    "EmailChannel",
    "LogChannel",
    "LogPushChannel",
    "LogSmsChannel",
    "Message",
    "PermanentDeliveryError",
    "PushChannel",
    "Recipient",
    "SmsChannel",
    "build_channels",
    "render",
]
