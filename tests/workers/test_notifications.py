"""Outbox delivery: real email to a local SMTP server (aiosmtpd), retries with backoff when the
server is down at first, FAILED after the last attempt, the log/SMS/push channels."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email
import email.policy
import json
import logging
import socket
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from boxoffice import db
from boxoffice.notify import Channel, Message, Recipient
from boxoffice.notify.delivery import deliver_pending
from boxoffice.services.tickets import read_ticket
from models.booking import AppUser
from tests.api.booking_ops import CANCEL, CONFIRM, RESERVE
from tests.factories import make_show
from tests.workers.conftest import (
    running_worker,
    state_of,
    wait_until,
)
from workers.notifications import recover_notification_retries


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), parsed))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@contextlib.asynccontextmanager
async def smtp_server(port: int) -> AsyncIterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    await asyncio.to_thread(controller.start)  # a thread of its own, with its own loop
    try:
        yield inbox
    finally:
        await asyncio.to_thread(controller.stop)


def email_settings(api: Any, port: int, **extra: Any) -> Any:
    """Rows written by the API go to the email channel; the worker sends them to `port`."""
    state = state_of(api)
    state.settings = dataclasses.replace(state.settings, notification_channel="email")
    return dataclasses.replace(state.settings, smtp_url=f"smtp://127.0.0.1:{port}", **extra)


async def reserve(api, token, show_id, seats):
    return (await api(RESERVE, {"input": {"showId": str(show_id), "seats": seats}},
                      token=token))["reserve"]


async def notifications() -> list[dict[str, Any]]:
    rows = await db.pool().fetch(
        """SELECT id, kind, channel, status, attempts, last_error, sent_at, payload
           FROM notification ORDER BY id""")
    return [{**r, "payload": json.loads(r["payload"])} for r in rows]


async def status_is(status: str) -> bool:
    """The first notification has reached `status`."""
    return (await notifications())[0]["status"] == status


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_hold_offer_and_booking_emails_are_delivered_with_their_content(api):
    port = free_port()
    settings = email_settings(api, port)
    show = await make_show(rows=1, per_row=3)
    sid = show.show_id
    alice, bob, carol = [await api.token(f"{n}@example.com") for n in ("alice", "bob", "carol")]
    held = await reserve(api, alice, sid, ["A-1"])
    booking = (await api(CONFIRM, {"input": {"reservationId": held["id"],
                                             "paymentToken": "tok_visa",
                                             "idempotencyKey": "k"}}, token=alice))["confirm"]
    assert booking["__typename"] == "Booking"
    carols = await reserve(api, carol, sid, ["A-2", "A-3"])
    assert (await reserve(api, bob, sid, ["A-2"]))["__typename"] == "Queued"
    await api(CANCEL, {"id": carols["id"]}, token=carol)  # bob gets an offer

    async with smtp_server(port) as inbox:
        # never on the request path: everything is still waiting in the outbox
        assert {n["status"] for n in await notifications()} == {"PENDING"}
        assert inbox.messages == []
        # a running worker (bob's offer has an expiry job 5 minutes out: burst would wait)
        async with running_worker(settings, crons=False):
            await state_of(api).arq.enqueue_job("deliver_notifications")

            async def all_sent() -> bool:
                return {n["status"] for n in await notifications()} == {"SENT"}

            await wait_until(all_sent, within=10)

    rows = await notifications()
    assert [(n["kind"], n["status"], n["attempts"]) for n in rows] == [
        ("HOLD_CREATED", "SENT", 1), ("BOOKING_CONFIRMED", "SENT", 1),
        ("HOLD_CREATED", "SENT", 1), ("OFFER_MADE", "SENT", 1)]
    assert all(n["sent_at"] is not None and n["channel"] == "email" for n in rows)
    by_subject = {m["Subject"]: (to, m) for to, m in inbox.messages}
    assert len(inbox.messages) == 4

    for n in rows:
        # the recipient is the payload's address, the subject names the seats
        seats = ", ".join(n["payload"]["seats"])
        subject = next(s for s in by_subject if seats in s and (
            {"HOLD_CREATED": "held", "OFFER_MADE": "waiting",
             "BOOKING_CONFIRMED": "confirmed"}[n["kind"]] in s))
        to, message = by_subject[subject]
        assert to == [n["payload"]["email"]] and message["To"] == n["payload"]["email"]
        assert seats in body_of(message)

    hold_to, hold = next(v for s, v in by_subject.items() if "A-2, A-3" in s and "held" in s)
    assert hold_to == ["carol@example.com"]
    assert "within 5 minutes" in hold["Subject"] and "INR" in body_of(hold)
    offer_to, offer = next(v for s, v in by_subject.items() if "waiting" in s)
    assert offer_to == ["bob@example.com"] and "your turn" in body_of(offer)
    book_to, book = next(v for s, v in by_subject.items() if "confirmed" in s)
    assert book_to == ["alice@example.com"]
    text = body_of(book)
    for t in booking["tickets"]:
        assert t["qrPayload"] in text  # the signed, verifiable QR payload
        assert read_ticket(t["qrPayload"]) is not None
    svgs = [p for p in book.iter_attachments() if p.get_content_type() == "image/svg+xml"]
    assert [p.get_filename() for p in svgs] == ["ticket-A-1.svg"]
    assert b"<svg" in svgs[0].get_content()


async def test_delivery_is_retried_until_the_smtp_server_comes_up(api):
    port = free_port()  # nothing listens here yet
    settings = email_settings(api, port, notify_backoff_seconds=0.3)
    show = await make_show()
    alice = await api.token("alice@example.com")
    await reserve(api, alice, show.show_id, ["C-3", "C-4"])

    async with running_worker(settings, crons=False):
        await state_of(api).arq.enqueue_job("deliver_notifications")

        async def failed_once() -> bool:
            n = (await notifications())[0]
            return n["attempts"] >= 1 and n["last_error"] is not None

        await wait_until(failed_once, within=5)
        first = (await notifications())[0]
        assert first["status"] == "PENDING"
        assert "connect" in first["last_error"].lower() or "refused" in first["last_error"]
        async with smtp_server(port) as inbox:
            await wait_until(lambda: status_is("SENT"), within=10)
    n = (await notifications())[0]
    assert n["status"] == "SENT" and n["attempts"] >= 2
    assert n["last_error"] is not None  # kept: it tells why the first attempt failed
    assert len(inbox.messages) == 1
    to, message = inbox.messages[0]
    assert to == ["alice@example.com"] and "C-3, C-4" in message["Subject"]


async def test_delivery_gives_up_after_the_last_attempt(api):
    settings = email_settings(api, free_port(), notify_backoff_seconds=0.05,
                              notify_max_attempts=3)
    show = await make_show()
    alice = await api.token("alice@example.com")
    await reserve(api, alice, show.show_id, ["B-1"])
    async with running_worker(settings, crons=False):
        await state_of(api).arq.enqueue_job("deliver_notifications")
        await wait_until(lambda: status_is("FAILED"), within=10)
    n = (await notifications())[0]
    assert n["status"] == "FAILED" and n["attempts"] == 3 and n["sent_at"] is None
    assert n["last_error"]


async def test_log_sms_push_channels_and_permanent_failures(api, caplog):
    show = await make_show()
    alice = await api.token("alice@example.com")
    await reserve(api, alice, show.show_id, ["B-2"])  # default channel: log
    user_id = await db.pool().fetchval("SELECT id FROM app_user")
    for kind, channel in [("HOLD_CREATED", "sms"), ("OFFER_MADE", "push"),
                          ("NO_SUCH_KIND", "log"), ("HOLD_CREATED", "email"),
                          ("HOLD_CREATED", "pigeon")]:
        await db.pool().execute(
            """INSERT INTO notification ("user", show, kind, channel, payload, status, attempts,
                   created_at)
               VALUES ($1, $2, $3, $4, '{"seats": ["B-2"], "email": "alice@example.com"}',
                       'PENDING', 0, now())""",
            user_id, show.show_id, kind, channel)
    with caplog.at_level(logging.INFO, logger="boxoffice.notify"):
        async with running_worker(dataclasses.replace(state_of(api).settings, smtp_url=None),
                                  crons=False):
            await state_of(api).arq.enqueue_job("deliver_notifications")

            async def settled() -> bool:
                return "PENDING" not in {n["status"] for n in await notifications()}

            await wait_until(settled, within=10)
    rows = await notifications()
    assert [(n["channel"], n["status"], n["attempts"]) for n in rows] == [
        ("log", "SENT", 1), ("sms", "SENT", 1), ("push", "SENT", 1),
        ("log", "FAILED", 1),  # unknown kind: no retry can help
        ("email", "FAILED", 1),  # email channel not configured
        ("pigeon", "FAILED", 1),
    ]
    assert "SMTP_URL is not set" in rows[4]["last_error"]
    logged = caplog.text
    assert "notification HOLD_CREATED to user" in logged and "B-2" in logged
    assert "sms to user" in logged and "push to user" in logged


async def test_retries_lost_with_redis_are_enqueued_again(api, redis):
    show = await make_show()
    alice = await api.token("alice@example.com")
    await reserve(api, alice, show.show_id, ["B-3"])
    await db.pool().execute(  # as after a failed first attempt
        "UPDATE notification SET attempts = 1, last_error = 'SMTPConnectError: down'")
    ctx = {"redis": state_of(api).arq}
    assert await recover_notification_retries(ctx) == 1
    assert await recover_notification_retries(ctx) == 0  # `notify:{id}` is already scheduled
    await redis.flushdb()
    assert await recover_notification_retries(ctx) == 1  # Postgres is the truth


class SlowChannel(Channel):
    name = "log"

    def __init__(self) -> None:
        self.sent: list[int] = []

    async def send(self, to: Recipient, message: Message) -> None:
        await asyncio.sleep(0.01)
        self.sent.append(to.user_id)


async def test_two_deliveries_at_once_send_each_row_once(api):
    show = await make_show()
    tokens = [await api.token(f"u{i}@example.com") for i in range(30)]
    for i, token in enumerate(tokens):
        await reserve(api, token, show.show_id, [f"{'ABC'[i // 10]}-{i % 10 + 1}"])
    channel = SlowChannel()
    settings = state_of(api).settings
    first, second = await asyncio.gather(
        deliver_pending({"log": channel}, settings, limit=20),
        deliver_pending({"log": channel}, settings, limit=20),
    )
    # the rows one delivery holds are skipped by the other: 30 rows, 30 sends, no duplicate
    assert len(first) + len(second) == 30 and len(first) > 0 and len(second) > 0
    assert sorted(channel.sent) == sorted(set(channel.sent)) and len(channel.sent) == 30
    assert {n["status"] for n in await notifications()} == {"SENT"}


class DirectoryChannel(Channel):
    """A channel that looks its recipient up in Postgres, as an SMS or push channel would (a
    phone number, a device token: `Recipient` carries the user id)."""

    name = "log"

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.in_transaction: list[bool] = []

    async def send(self, to: Recipient, message: Message) -> None:
        self.in_transaction.append(db.in_transaction())
        row = await AppUser.select(AppUser.email).where(AppUser.id == to.user_id).first()
        assert row is not None
        self.sent.append(row["email"])


async def test_sends_are_not_part_of_the_claims_transaction(api):
    """deliver_pending sends a batch side by side in tasks spawned inside its claim's READ
    COMMITTED transaction. Those tasks inherit the context: a channel's own Piccolo query must
    still take a pool connection, not join the claim's (one connection runs one statement at a
    time, and the sends are not the claim)."""
    show = await make_show()
    tokens = [await api.token(f"dir{i}@example.com") for i in range(8)]
    for i, token in enumerate(tokens):
        await reserve(api, token, show.show_id, [f"A-{i + 1}"])
    channel = DirectoryChannel()
    done = await deliver_pending({"log": channel}, state_of(api).settings, limit=20)
    assert [a.status for a in done] == ["SENT"] * 8, [a.error for a in done]
    assert sorted(channel.sent) == sorted(f"dir{i}@example.com" for i in range(8))
    assert channel.in_transaction == [False] * 8
    assert {n["status"] for n in await notifications()} == {"SENT"}
