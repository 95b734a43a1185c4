"""Email over SMTP with aiosmtplib; the server comes from `SMTP_URL`.

`smtp://host:port` (STARTTLS when the server offers it), `smtps://host:port` (TLS from the
start); `smtp://user:password@host:port` logs in.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from boxoffice.notify.channels import Channel, Message, PermanentDeliveryError, Recipient


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    use_tls: bool
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError(f"SMTP_URL must be smtp:// or smtps://, not {parts.scheme!r}")
    tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname or "localhost",
        port=parts.port or (465 if tls else 25),
        use_tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def to_email(sender: str, to: str, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = message.subject
    mail.set_content(message.body)
    for a in message.attachments:
        maintype, _, subtype = a.content_type.partition("/")
        mail.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
    return mail


class EmailChannel(Channel):
    name = "email"

    def __init__(self, smtp_url: str, sender: str, timeout: float = 10.0) -> None:
        self.server = parse_smtp_url(smtp_url)
        self.sender = sender
        self.timeout = timeout

    async def send(self, to: Recipient, message: Message) -> None:
        if not to.email:
            raise PermanentDeliveryError("no email address for this user")
        s = self.server
        try:
            await aiosmtplib.send(
                to_email(self.sender, to.email, message),
                hostname=s.host, port=s.port, use_tls=s.use_tls, username=s.username,
                password=s.password, timeout=self.timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            # 5xx for the address is final; 4xx (mailbox busy, greylisting) is worth a retry
            if all(r.code >= 500 for r in exc.recipients):
                raise PermanentDeliveryError(f"recipient refused: {exc}") from exc
            raise
