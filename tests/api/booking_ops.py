"""GraphQL documents the booking tests send: the front-end contract's own operations, so the
tests exercise exactly what web and mobile clients send."""

from pathlib import Path

_OPERATIONS = Path(__file__).resolve().parents[2] / "frontend_contract" / "operations"


def operation(name: str) -> str:
    return (_OPERATIONS / f"{name}.graphql").read_text()


RESERVE = operation("Reserve")
CONFIRM = operation("Confirm")
RESERVATION = operation("Reservation")

CANCEL = """
mutation Cancel($id: ID!) {
  cancelReservation(reservationId: $id) {
    __typename
    ... on Reservation { id status seats }
    ... on NotFound { message }
  }
}"""
