"""The GraphQL documents the acceptance checks send: only names and shapes from CONTRACT.md."""

CITIES = "{ cities { id name } }"
MOVIES = """query M($city: String) { movies(city: $city) {
  id title rating durationMinutes languages genres } }"""
CINEMAS = """query C($city: String!) { cinemas(city: $city) {
  id name city postalCode lat lng halls } }"""

SEARCH = """query Search($input: SearchInput!) {
  search(input: $input) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      showId showtime availableSeats distanceKm
      movie { id title rating durationMinutes languages genres }
      cinema { id name city postalCode lat lng } } }
  } }"""

SHOW = """query Show($id: ID!) { show(id: $id) {
  id startsAt hallName totalSeats availableSeats
  movie { id title } cinema { id name city }
  seatMap { showId version free held booked
            seats { label row number category price currency status } } } }"""
SHOW_STATUS = """query Show($id: ID!) { show(id: $id) { id onSaleAt status } }"""

SEAT_MAP = """query SeatMap($showId: ID!) { seatMap(showId: $showId) {
  showId version free held booked
  seats { label row number category price currency status } } }"""

RESERVE = """mutation Reserve($input: ReserveInput!) {
  reserve(input: $input) {
    __typename
    ... on Reservation { id showId seats status expiresAt amount currency }
    ... on SeatsTaken { seats alternatives }
    ... on Queued { showId position etrSeconds seatsWanted }
    ... on InvalidRequest { message field }
    ... on RateLimited { message retryAfterSeconds }
  } }"""

RESERVE_ROOM = """mutation Reserve($input: ReserveInput!) {
  reserve(input: $input) {
    __typename
    ... on Reservation { id showId seats status }
    ... on InvalidRequest { message field }
    ... on NotAdmitted { showId position etrSeconds }
  } }"""

CONFIRM = """mutation Confirm($input: ConfirmInput!) {
  confirm(input: $input) {
    __typename
    ... on Booking { id reservationId showId amount currency tickets { seat qrPayload qrSvg } }
    ... on PaymentDeclined { message declineCode }
    ... on ReservationExpired { reservationId message }
    ... on NotFound { message }
    ... on InvalidRequest { message field }
  } }"""

CANCEL = """mutation Cancel($id: ID!) {
  cancelReservation(reservationId: $id) {
    __typename
    ... on Reservation { id showId seats status }
    ... on NotFound { message }
  } }"""

RESERVATION = """query R($id: ID!) { reservation(id: $id) {
  id showId seats status expiresAt amount currency } }"""
BOOKING = """query B($id: ID!) { booking(id: $id) {
  id reservationId showId amount currency tickets { seat qrPayload } } }"""
QUEUE_POSITION = """query Q($showId: ID!) { queuePosition(showId: $showId) {
  showId position etrSeconds seatsWanted offer { id showId seats status expiresAt } } }"""
LEAVE_QUEUE = """mutation L($showId: ID!) { leaveQueue(showId: $showId) }"""
MY_BOOKINGS = """query My($first: Int) { myBookings(first: $first) {
  id reservationId showId amount currency } }"""

CHECK_IN = """mutation CheckIn($qr: String!) { checkIn(qrPayload: $qr) {
  __typename
  ... on CheckedIn { bookingId showId seat }
  ... on AlreadyCheckedIn { bookingId seat checkedInAt }
  ... on InvalidTicket { message } } }"""
CANCEL_SHOW = """mutation CancelShow($showId: ID!, $reason: String!) {
  cancelShow(showId: $showId, reason: $reason) { showId refundedBookings releasedHolds } }"""

JOIN_ROOM = """mutation J($showId: ID!) { joinWaitingRoom(showId: $showId) {
  showId position etrSeconds admitted admittedUntil } }"""

SEAT_MAP_SUB = """subscription S($showId: ID!) { seatMap(showId: $showId) {
  showId version changes { label status }
  snapshot { showId version free held booked seats { label status } } } }"""
QUEUE_SUB = """subscription Q($showId: ID!) { queue(showId: $showId) {
  showId position etrSeconds seatsWanted offer { id seats status } } }"""
RESERVATION_SUB = """subscription R($id: ID!) { reservation(id: $id) { id status seats } }"""
WAITING_ROOM_SUB = """subscription W($showId: ID!) { waitingRoom(showId: $showId) {
  showId position etrSeconds admitted admittedUntil } }"""
