"""Waiting-room resolvers: joinWaitingRoom, the waitingRoom subscription, and the mapping of
the reserve-path admission check. The rules live in boxoffice/services/waitingroom.py."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import aclosing

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from boxoffice.db import Busy
from boxoffice.realtime.roomfeed import room_updates
from boxoffice.services import waitingroom
from boxoffice.services.outcomes import InvalidOutcome
from schema.context import Context
from schema.errors import TRY_AGAIN, coded, show_id_arg
from schema.permissions import require_user
from schema.types.booking import InvalidRequest
from schema.types.waitingroom import NotAdmitted, WaitingRoomTicket


def ticket_type(v: waitingroom.RoomTicket) -> WaitingRoomTicket:
    return WaitingRoomTicket(show_id=strawberry.ID(str(v.show_id)), position=v.position,
                             etr_seconds=v.etr_seconds, admitted=v.admitted,
                             admitted_until=v.admitted_until)


def refusal_type(
    v: InvalidOutcome | waitingroom.NotAdmittedOutcome,
) -> InvalidRequest | NotAdmitted:
    """The answer of reserve when the waiting room stops it."""
    if isinstance(v, InvalidOutcome):
        return InvalidRequest(message=v.message, field=v.field)
    return NotAdmitted(show_id=strawberry.ID(str(v.show_id)), position=v.position,
                       etr_seconds=v.etr_seconds)


def _room_error(exc: waitingroom.RoomError) -> GraphQLError:
    return coded(str(exc), exc.code, field="showId")


@strawberry.type
class WaitingRoomMutation:
    @strawberry.mutation(
        description="Join the show's on-sale waiting room (before and during an on-sale). "
        "Idempotent: a second call returns the caller's current ticket."
    )
    async def join_waiting_room(self, info: Info[Context, None],
                                show_id: strawberry.ID) -> WaitingRoomTicket:
        user = require_user(info)
        sid = show_id_arg(show_id)
        try:
            return ticket_type(await waitingroom.join(info.context.state.deps, sid, user.id))
        except waitingroom.RoomError as exc:
            raise _room_error(exc) from None
        except Busy as exc:
            raise coded("The waiting room is briefly unavailable; please retry",
                        TRY_AGAIN) from exc


@strawberry.type
class WaitingRoomSubscription:
    @strawberry.subscription(
        description="The caller's place in the show's waiting room (joining it if needed): "
        "now and on every change, until admitted; the last event is the admission."
    )
    async def waiting_room(self, info: Info[Context, None],
                           show_id: strawberry.ID) -> AsyncGenerator[WaitingRoomTicket, None]:
        user = require_user(info)
        sid = show_id_arg(show_id)
        state = info.context.state
        try:
            async with aclosing(room_updates(state.realtime.hub, state.deps, sid,
                                             user.id)) as tickets:
                async for v in tickets:
                    yield ticket_type(v)
        except waitingroom.RoomError as exc:
            raise _room_error(exc) from None
