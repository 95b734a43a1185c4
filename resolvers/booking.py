"""Booking resolvers: parse, call a service, map its outcome to a schema type."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

import strawberry
from strawberry.types import Info

from boxoffice.db import Busy
from boxoffice.ids import parse_id
from boxoffice.logs import set_reservation
from boxoffice.services import outcomes as o
from boxoffice.services.cancel import cancel_reservation, cancel_unknown_reservation
from boxoffice.services.confirm import confirm_reservation, confirm_unknown_reservation
from boxoffice.services.ownership import own_booking, own_reservation
from boxoffice.services.reserve import reserve_seats, reserve_unknown_show
from boxoffice.services.settlement import PaymentInterrupted
from boxoffice.services.waitingroom import admission_check
from resolvers.waitingroom import refusal_type
from schema.context import Context
from schema.errors import TRY_AGAIN, bad_input, coded
from schema.permissions import require_user
from schema.types import booking as t
from schema.types.enums import ReservationStatus

P = ParamSpec("P")
R = TypeVar("R")


def busy_means_try_again(resolver: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Contention past the retry bound is not a bug: tell the client to retry, with a code."""

    @functools.wraps(resolver)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await resolver(*args, **kwargs)
        except PaymentInterrupted as exc:  # its message says what happened to the money
            raise coded(str(exc), TRY_AGAIN) from exc
        except Busy as exc:
            raise coded("The show is very busy right now; please retry", TRY_AGAIN) from exc

    return wrapper


def reservation_type(v: o.ReservationView) -> t.Reservation:
    return t.Reservation(
        id=strawberry.ID(str(v.id)), show_id=strawberry.ID(str(v.show_id)), seats=list(v.seats),
        status=ReservationStatus(v.status), expires_at=v.expires_at, amount=v.amount,
        currency=v.currency,
    )


def booking_type(v: o.BookingView) -> t.Booking:
    from boxoffice.services.tickets import qr_svg

    return t.Booking(
        id=strawberry.ID(str(v.id)), reservation_id=strawberry.ID(str(v.reservation_id)),
        show_id=strawberry.ID(str(v.show_id)), amount=v.amount, currency=v.currency,
        tickets=[t.Ticket(seat=k.seat, qr_payload=k.qr_payload, qr_svg=qr_svg(k.qr_payload))
                 for k in v.tickets],
    )


def queued_type(v: o.QueuedOutcome) -> t.Queued:
    return t.Queued(show_id=strawberry.ID(str(v.show_id)), position=v.position,
                    etr_seconds=v.etr_seconds, seats_wanted=v.seats_wanted)


def _common(v: object) -> object:
    """Map outcomes shared by several unions."""
    match v:
        case o.InvalidOutcome():
            return t.InvalidRequest(message=v.message, field=v.field)
        case o.RateLimitedOutcome():
            return t.RateLimited(message=v.message, retry_after_seconds=v.retry_after_seconds)
        case o.NotFoundOutcome():
            return t.NotFound(message=v.message)
        case o.ReservationView():
            return reservation_type(v)
        case o.BookingView():
            return booking_type(v)
    raise TypeError(f"unmapped outcome {type(v).__name__}")


@strawberry.type
class BookingQuery:
    @strawberry.field(description="A reservation of the caller's (owner only).")
    async def reservation(
        self, info: Info[Context, None], id: strawberry.ID
    ) -> t.Reservation | None:
        user = require_user(info)
        rid = parse_id(id)  # an id that does not parse names nothing, like a missing one
        view = await own_reservation(user.id, rid) if rid is not None else None
        return reservation_type(view) if view else None

    @strawberry.field(description="A booking of the caller's (owner only).")
    async def booking(self, info: Info[Context, None], id: strawberry.ID) -> t.Booking | None:
        user = require_user(info)
        bid = parse_id(id)
        view = await own_booking(user.id, bid) if bid is not None else None
        return booking_type(view) if view else None

    @strawberry.field(description="The caller's place in a show's queue, null when not queued.")
    async def queue_position(self, info: Info[Context, None],
                             show_id: strawberry.ID) -> t.QueueTicket | None:
        from boxoffice.services.waitlist import queue_ticket

        user = require_user(info)
        sid = parse_id(show_id)
        if sid is None:
            raise bad_input("Unknown show", "showId")
        ticket = await queue_ticket(info.context.state.deps, sid, user.id)
        if ticket is None:
            return None
        return t.QueueTicket(
            show_id=strawberry.ID(str(ticket.show_id)), position=ticket.position,
            etr_seconds=ticket.etr_seconds, seats_wanted=ticket.seats_wanted,
            offer=reservation_type(ticket.offer) if ticket.offer else None,
        )


@strawberry.type
class BookingMutation:
    @strawberry.mutation(description="Hold 1-10 seats for 5 minutes, all or nothing.")
    @busy_means_try_again
    async def reserve(self, info: Info[Context, None], input: t.ReserveInput) -> t.ReserveResult:
        user = require_user(info)
        deps = info.context.state.deps
        sid = parse_id(input.show_id)
        if sid is None:
            return _common(await reserve_unknown_show())  # type: ignore[return-value]
        refused = await admission_check(deps, user.id, sid)
        if refused is not None:  # the on-sale waiting room: not open yet, or not admitted
            return refusal_type(refused)
        v = await reserve_seats(deps, user, sid, input.seats, input.session_id)
        if isinstance(v, o.ReservationView):
            set_reservation(v.id)  # the operation's later log records name the new hold
        match v:
            case o.SeatsTakenOutcome():
                return t.SeatsTaken(seats=list(v.seats), alternatives=list(v.alternatives))
            case o.QueuedOutcome():
                return queued_type(v)
        return _common(v)  # type: ignore[return-value]

    @strawberry.mutation(description="Pay for a hold; the same idempotencyKey charges once.")
    @busy_means_try_again
    async def confirm(self, info: Info[Context, None], input: t.ConfirmInput) -> t.ConfirmResult:
        user = require_user(info)
        state = info.context.state
        rid = parse_id(input.reservation_id)
        if rid is None:
            v = await confirm_unknown_reservation(input.payment_token, input.idempotency_key)
        else:
            v = await confirm_reservation(state.deps, state.gateway, user, rid,
                                          input.payment_token, input.idempotency_key)
        match v:
            case o.PaymentDeclinedOutcome():
                return t.PaymentDeclined(message=v.message, decline_code=v.decline_code)
            case o.ReservationExpiredOutcome():
                return t.ReservationExpired(reservation_id=strawberry.ID(str(v.reservation_id)),
                                            message=v.message)
        return _common(v)  # type: ignore[return-value]

    @strawberry.mutation(description="Release a held reservation (idempotent; never booked seats).")
    @busy_means_try_again
    async def cancel_reservation(self, info: Info[Context, None],
                                 reservation_id: strawberry.ID) -> t.CancelResult:
        user = require_user(info)
        rid = parse_id(reservation_id)
        if rid is None:
            v = await cancel_unknown_reservation()
        else:
            v = await cancel_reservation(info.context.state.deps, user, rid)
        return _common(v)  # type: ignore[return-value]

    @strawberry.mutation(description="Leave a show's waiting queue; false when not queued.")
    async def leave_queue(self, info: Info[Context, None], show_id: strawberry.ID) -> bool:
        from boxoffice.services.waitlist import leave_queue

        user = require_user(info)
        sid = parse_id(show_id)
        if sid is None:
            raise bad_input("Unknown show", "showId")
        return await leave_queue(info.context.state.deps, sid, user.id)
