"""Door and operator mutations: checkIn (door keys), cancelShow (admin keys)."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from boxoffice.ids import parse_id
from boxoffice.services import checkin as c
from boxoffice.services.show_cancel import BadReason, UnknownShow, cancel_show
from resolvers.booking import busy_means_try_again
from schema.context import Context
from schema.errors import NOT_FOUND, TRY_AGAIN, bad_input, coded
from schema.roles import require_role
from schema.types import tickets as t


def _no_such_show() -> GraphQLError:
    return coded("No such show", NOT_FOUND, field="showId")


@strawberry.type
class TicketMutation:
    @strawberry.mutation(description="Scan a ticket at the door (door API keys only): the "
                         "first scan checks in, later scans say when it was used.")
    async def check_in(self, info: Info[Context, None], qr_payload: str) -> t.CheckInResult:
        require_role(info, "door")
        v = await c.check_in(qr_payload)
        match v:
            case c.CheckedInOutcome():
                return t.CheckedIn(booking_id=strawberry.ID(str(v.booking_id)),
                                   show_id=strawberry.ID(str(v.show_id)), seat=v.seat)
            case c.AlreadyCheckedInOutcome():
                return t.AlreadyCheckedIn(booking_id=strawberry.ID(str(v.booking_id)),
                                          seat=v.seat, checked_in_at=v.checked_in_at)
        return t.InvalidTicket(message=v.message)

    @strawberry.mutation(description="Cancel a show (admin API keys only): holds released, "
                         "bookings refunded once, everyone notified. A retry answers the same.")
    @busy_means_try_again
    async def cancel_show(self, info: Info[Context, None], show_id: strawberry.ID,
                          reason: str) -> t.ShowCancelled:
        require_role(info, "admin")
        state = info.context.state
        sid = parse_id(show_id)
        if sid is None:  # names nothing: answered like a missing show
            raise _no_such_show()
        try:
            v = await cancel_show(state.deps, state.gateway, sid, reason)
        except UnknownShow:
            raise _no_such_show() from None
        except BadReason as exc:
            raise bad_input(str(exc), "reason") from None
        if v.refunds_pending:
            raise coded(f"The show is cancelled but {v.refunds_pending} refund(s) did not go "
                        "through; retry cancelShow to finish them", TRY_AGAIN)
        return t.ShowCancelled(show_id=strawberry.ID(str(v.show_id)),
                               refunded_bookings=v.refunded_bookings,
                               released_holds=v.released_holds)
