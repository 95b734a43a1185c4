"""GraphQL documents the booking tests send (the same shapes as frontend_contract/)."""

RESERVE = """
mutation Reserve($input: ReserveInput!) {
  reserve(input: $input) {
    __typename
    ... on Reservation { id showId seats status expiresAt amount currency }
    ... on SeatsTaken { seats alternatives }
    ... on Queued { showId position etrSeconds seatsWanted }
    ... on InvalidRequest { message field }
    ... on RateLimited { message retryAfterSeconds }
  }
}"""

CONFIRM = """
mutation Confirm($input: ConfirmInput!) {
  confirm(input: $input) {
    __typename
    ... on Booking { id reservationId showId amount currency tickets { seat qrPayload qrSvg } }
    ... on PaymentDeclined { message declineCode }
    ... on ReservationExpired { reservationId message }
    ... on NotFound { message }
    ... on InvalidRequest { message field }
    ... on RateLimited { message retryAfterSeconds }
  }
}"""

CANCEL = """
mutation Cancel($id: ID!) {
  cancelReservation(reservationId: $id) {
    __typename
    ... on Reservation { id status seats }
    ... on NotFound { message }
  }
}"""

RESERVATION = "query R($id: ID!) { reservation(id: $id) { id status seats amount expiresAt } }"
