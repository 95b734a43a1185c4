"""The channel interface and the log implementations.

A channel delivers one rendered `Message` to one `Recipient`, or raises. A transient failure
(server down, timeout) is any exception: the outbox retries it with backoff. A
`PermanentDeliveryError` (no address, channel not configured, recipient refused) is not retried.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

log = logging.getLogger("boxoffice.notify")


class PermanentDeliveryError(Exception):
    """Retrying cannot help: the notification is marked FAILED at once."""


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None = None
    phone: str | None = None  # no phone numbers are collected yet: SMS goes to the log


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # e.g. "image/svg+xml"
    data: bytes


@dataclass(frozen=True)
class Message:
    kind: str
    subject: str
    body: str  # plain text
    short: str  # one line for SMS and push
    attachments: tuple[Attachment, ...] = field(default_factory=tuple)


class Channel(ABC):
    name: str

    @abstractmethod
    async def send(self, to: Recipient, message: Message) -> None:
        """Deliver or raise."""


class LogChannel(Channel):
    """The default: writes the message to the log (development, tests, no mail server)."""

    name = "log"

    async def send(self, to: Recipient, message: Message) -> None:
        log.info("notification %s to user %s <%s>: %s\n%s", message.kind, to.user_id,
                 to.email or "-", message.subject, message.body)


class SmsChannel(Channel, ABC):
    """Text messages: a provider implements `send_text`."""

    name = "sms"

    async def send(self, to: Recipient, message: Message) -> None:
        await self.send_text(to, message.short)

    @abstractmethod
    async def send_text(self, to: Recipient, text: str) -> None: ...


class PushChannel(Channel, ABC):
    """Mobile push: a provider implements `send_push`."""

    name = "push"

    async def send(self, to: Recipient, message: Message) -> None:
        await self.send_push(to, message.subject, message.short)

    @abstractmethod
    async def send_push(self, to: Recipient, title: str, text: str) -> None: ...


class LogSmsChannel(SmsChannel):
    async def send_text(self, to: Recipient, text: str) -> None:
        log.info("sms to user %s <%s>: %s", to.user_id, to.phone or "-", text)


class LogPushChannel(PushChannel):
    async def send_push(self, to: Recipient, title: str, text: str) -> None:
        log.info("push to user %s: %s: %s", to.user_id, title, text)


class UnconfiguredChannel(Channel):
    """Stands in for a channel named by a row but not configured in this process."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    async def send(self, to: Recipient, message: Message) -> None:
        raise PermanentDeliveryError(self.reason)
