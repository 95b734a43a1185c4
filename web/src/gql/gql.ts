/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Booking($id: ID!) {\n  booking(id: $id) {\n    id\n    reservationId\n    showId\n    amount\n    currency\n    tickets {\n      seat\n      qrPayload\n      qrSvg\n    }\n  }\n}": typeof types.BookingDocument,
    "mutation CancelReservation($reservationId: ID!) {\n  cancelReservation(reservationId: $reservationId) {\n    __typename\n    ... on Reservation {\n      id\n      status\n      seats\n    }\n    ... on NotFound {\n      message\n    }\n  }\n}": typeof types.CancelReservationDocument,
    "query Cinemas($city: String!) {\n  cinemas(city: $city) {\n    id\n    name\n    city\n    postalCode\n    lat\n    lng\n    halls\n  }\n}": typeof types.CinemasDocument,
    "query Cities {\n  cities {\n    id\n    name\n  }\n}": typeof types.CitiesDocument,
    "mutation Confirm($input: ConfirmInput!) {\n  confirm(input: $input) {\n    __typename\n    ... on Booking {\n      id\n      reservationId\n      showId\n      amount\n      currency\n      tickets {\n        seat\n        qrPayload\n        qrSvg\n      }\n    }\n    ... on PaymentDeclined {\n      message\n      declineCode\n    }\n    ... on ReservationExpired {\n      reservationId\n      message\n    }\n    ... on NotFound {\n      message\n    }\n    ... on InvalidRequest {\n      message\n      field\n    }\n    ... on RateLimited {\n      message\n      retryAfterSeconds\n    }\n  }\n}": typeof types.ConfirmDocument,
    "mutation LeaveQueue($showId: ID!) {\n  leaveQueue(showId: $showId)\n}": typeof types.LeaveQueueDocument,
    "query Movies($city: String) {\n  movies(city: $city) {\n    id\n    title\n    rating\n    durationMinutes\n    languages\n    genres\n    releaseDate\n  }\n}": typeof types.MoviesDocument,
    "query QueuePosition($showId: ID!) {\n  queuePosition(showId: $showId) {\n    showId\n    position\n    etrSeconds\n    seatsWanted\n    offer {\n      id\n      seats\n      expiresAt\n      amount\n      currency\n    }\n  }\n}": typeof types.QueuePositionDocument,
    "subscription QueueSubscription($showId: ID!) {\n  queue(showId: $showId) {\n    showId\n    position\n    etrSeconds\n    seatsWanted\n    offer {\n      id\n      showId\n      seats\n      status\n      expiresAt\n      amount\n      currency\n    }\n  }\n}": typeof types.QueueSubscriptionDocument,
    "query Reservation($id: ID!) {\n  reservation(id: $id) {\n    id\n    showId\n    seats\n    status\n    expiresAt\n    amount\n    currency\n  }\n}": typeof types.ReservationDocument,
    "subscription ReservationSubscription($id: ID!) {\n  reservation(id: $id) {\n    id\n    showId\n    seats\n    status\n    expiresAt\n    amount\n    currency\n  }\n}": typeof types.ReservationSubscriptionDocument,
    "mutation Reserve($input: ReserveInput!) {\n  reserve(input: $input) {\n    __typename\n    ... on Reservation {\n      id\n      showId\n      seats\n      status\n      expiresAt\n      amount\n      currency\n    }\n    ... on SeatsTaken {\n      seats\n      alternatives\n    }\n    ... on Queued {\n      showId\n      position\n      etrSeconds\n      seatsWanted\n    }\n    ... on InvalidRequest {\n      message\n      field\n    }\n    ... on RateLimited {\n      message\n      retryAfterSeconds\n    }\n  }\n}": typeof types.ReserveDocument,
    "query Search($input: SearchInput!) {\n  search(input: $input) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        showId\n        showtime\n        availableSeats\n        distanceKm\n        movie {\n          id\n          title\n          rating\n          durationMinutes\n          languages\n          genres\n        }\n        cinema {\n          id\n          name\n          city\n          postalCode\n          lat\n          lng\n        }\n      }\n    }\n  }\n}": typeof types.SearchDocument,
    "query SeatMap($showId: ID!) {\n  seatMap(showId: $showId) {\n    showId\n    version\n    free\n    held\n    booked\n    seats {\n      label\n      row\n      number\n      category\n      price\n      currency\n      status\n      x\n      y\n    }\n  }\n}": typeof types.SeatMapDocument,
    "subscription SeatMapSubscription($showId: ID!) {\n  seatMap(showId: $showId) {\n    showId\n    version\n    changes {\n      label\n      status\n    }\n    snapshot {\n      showId\n      version\n      free\n      held\n      booked\n      seats {\n        label\n        row\n        number\n        category\n        price\n        currency\n        status\n        x\n        y\n      }\n    }\n  }\n}": typeof types.SeatMapSubscriptionDocument,
    "query Show($id: ID!) {\n  show(id: $id) {\n    id\n    startsAt\n    hallName\n    totalSeats\n    availableSeats\n    movie {\n      id\n      title\n      rating\n      durationMinutes\n      languages\n      genres\n      releaseDate\n    }\n    cinema {\n      id\n      name\n      city\n      postalCode\n      lat\n      lng\n      halls\n    }\n  }\n}": typeof types.ShowDocument,
};
const documents: Documents = {
    "query Booking($id: ID!) {\n  booking(id: $id) {\n    id\n    reservationId\n    showId\n    amount\n    currency\n    tickets {\n      seat\n      qrPayload\n      qrSvg\n    }\n  }\n}": types.BookingDocument,
    "mutation CancelReservation($reservationId: ID!) {\n  cancelReservation(reservationId: $reservationId) {\n    __typename\n    ... on Reservation {\n      id\n      status\n      seats\n    }\n    ... on NotFound {\n      message\n    }\n  }\n}": types.CancelReservationDocument,
    "query Cinemas($city: String!) {\n  cinemas(city: $city) {\n    id\n    name\n    city\n    postalCode\n    lat\n    lng\n    halls\n  }\n}": types.CinemasDocument,
    "query Cities {\n  cities {\n    id\n    name\n  }\n}": types.CitiesDocument,
    "mutation Confirm($input: ConfirmInput!) {\n  confirm(input: $input) {\n    __typename\n    ... on Booking {\n      id\n      reservationId\n      showId\n      amount\n      currency\n      tickets {\n        seat\n        qrPayload\n        qrSvg\n      }\n    }\n    ... on PaymentDeclined {\n      message\n      declineCode\n    }\n    ... on ReservationExpired {\n      reservationId\n      message\n    }\n    ... on NotFound {\n      message\n    }\n    ... on InvalidRequest {\n      message\n      field\n    }\n    ... on RateLimited {\n      message\n      retryAfterSeconds\n    }\n  }\n}": types.ConfirmDocument,
    "mutation LeaveQueue($showId: ID!) {\n  leaveQueue(showId: $showId)\n}": types.LeaveQueueDocument,
    "query Movies($city: String) {\n  movies(city: $city) {\n    id\n    title\n    rating\n    durationMinutes\n    languages\n    genres\n    releaseDate\n  }\n}": types.MoviesDocument,
    "query QueuePosition($showId: ID!) {\n  queuePosition(showId: $showId) {\n    showId\n    position\n    etrSeconds\n    seatsWanted\n    offer {\n      id\n      seats\n      expiresAt\n      amount\n      currency\n    }\n  }\n}": types.QueuePositionDocument,
    "subscription QueueSubscription($showId: ID!) {\n  queue(showId: $showId) {\n    showId\n    position\n    etrSeconds\n    seatsWanted\n    offer {\n      id\n      showId\n      seats\n      status\n      expiresAt\n      amount\n      currency\n    }\n  }\n}": types.QueueSubscriptionDocument,
    "query Reservation($id: ID!) {\n  reservation(id: $id) {\n    id\n    showId\n    seats\n    status\n    expiresAt\n    amount\n    currency\n  }\n}": types.ReservationDocument,
    "subscription ReservationSubscription($id: ID!) {\n  reservation(id: $id) {\n    id\n    showId\n    seats\n    status\n    expiresAt\n    amount\n    currency\n  }\n}": types.ReservationSubscriptionDocument,
    "mutation Reserve($input: ReserveInput!) {\n  reserve(input: $input) {\n    __typename\n    ... on Reservation {\n      id\n      showId\n      seats\n      status\n      expiresAt\n      amount\n      currency\n    }\n    ... on SeatsTaken {\n      seats\n      alternatives\n    }\n    ... on Queued {\n      showId\n      position\n      etrSeconds\n      seatsWanted\n    }\n    ... on InvalidRequest {\n      message\n      field\n    }\n    ... on RateLimited {\n      message\n      retryAfterSeconds\n    }\n  }\n}": types.ReserveDocument,
    "query Search($input: SearchInput!) {\n  search(input: $input) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        showId\n        showtime\n        availableSeats\n        distanceKm\n        movie {\n          id\n          title\n          rating\n          durationMinutes\n          languages\n          genres\n        }\n        cinema {\n          id\n          name\n          city\n          postalCode\n          lat\n          lng\n        }\n      }\n    }\n  }\n}": types.SearchDocument,
    "query SeatMap($showId: ID!) {\n  seatMap(showId: $showId) {\n    showId\n    version\n    free\n    held\n    booked\n    seats {\n      label\n      row\n      number\n      category\n      price\n      currency\n      status\n      x\n      y\n    }\n  }\n}": types.SeatMapDocument,
    "subscription SeatMapSubscription($showId: ID!) {\n  seatMap(showId: $showId) {\n    showId\n    version\n    changes {\n      label\n      status\n    }\n    snapshot {\n      showId\n      version\n      free\n      held\n      booked\n      seats {\n        label\n        row\n        number\n        category\n        price\n        currency\n        status\n        x\n        y\n      }\n    }\n  }\n}": types.SeatMapSubscriptionDocument,
    "query Show($id: ID!) {\n  show(id: $id) {\n    id\n    startsAt\n    hallName\n    totalSeats\n    availableSeats\n    movie {\n      id\n      title\n      rating\n      durationMinutes\n      languages\n      genres\n      releaseDate\n    }\n    cinema {\n      id\n      name\n      city\n      postalCode\n      lat\n      lng\n      halls\n    }\n  }\n}": types.ShowDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Booking($id: ID!) {\n  booking(id: $id) {\n    id\n    reservationId\n    showId\n    amount\n    currency\n    tickets {\n      seat\n      qrPayload\n      qrSvg\n    }\n  }\n}"): typeof import('./graphql').BookingDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CancelReservation($reservationId: ID!) {\n  cancelReservation(reservationId: $reservationId) {\n    __typename\n    ... on Reservation {\n      id\n      status\n      seats\n    }\n    ... on NotFound {\n      message\n    }\n  }\n}"): typeof import('./graphql').CancelReservationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Cinemas($city: String!) {\n  cinemas(city: $city) {\n    id\n    name\n    city\n    postalCode\n    lat\n    lng\n    halls\n  }\n}"): typeof import('./graphql').CinemasDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Cities {\n  cities {\n    id\n    name\n  }\n}"): typeof import('./graphql').CitiesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Confirm($input: ConfirmInput!) {\n  confirm(input: $input) {\n    __typename\n    ... on Booking {\n      id\n      reservationId\n      showId\n      amount\n      currency\n      tickets {\n        seat\n        qrPayload\n        qrSvg\n      }\n    }\n    ... on PaymentDeclined {\n      message\n      declineCode\n    }\n    ... on ReservationExpired {\n      reservationId\n      message\n    }\n    ... on NotFound {\n      message\n    }\n    ... on InvalidRequest {\n      message\n      field\n    }\n    ... on RateLimited {\n      message\n      retryAfterSeconds\n    }\n  }\n}"): typeof import('./graphql').ConfirmDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation LeaveQueue($showId: ID!) {\n  leaveQueue(showId: $showId)\n}"): typeof import('./graphql').LeaveQueueDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Movies($city: String) {\n  movies(city: $city) {\n    id\n    title\n    rating\n    durationMinutes\n    languages\n    genres\n    releaseDate\n  }\n}"): typeof import('./graphql').MoviesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query QueuePosition($showId: ID!) {\n  queuePosition(showId: $showId) {\n    showId\n    position\n    etrSeconds\n    seatsWanted\n    offer {\n      id\n      seats\n      expiresAt\n      amount\n      currency\n    }\n  }\n}"): typeof import('./graphql').QueuePositionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription QueueSubscription($showId: ID!) {\n  queue(showId: $showId) {\n    showId\n    position\n    etrSeconds\n    seatsWanted\n    offer {\n      id\n      showId\n      seats\n      status\n      expiresAt\n      amount\n      currency\n    }\n  }\n}"): typeof import('./graphql').QueueSubscriptionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Reservation($id: ID!) {\n  reservation(id: $id) {\n    id\n    showId\n    seats\n    status\n    expiresAt\n    amount\n    currency\n  }\n}"): typeof import('./graphql').ReservationDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription ReservationSubscription($id: ID!) {\n  reservation(id: $id) {\n    id\n    showId\n    seats\n    status\n    expiresAt\n    amount\n    currency\n  }\n}"): typeof import('./graphql').ReservationSubscriptionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation Reserve($input: ReserveInput!) {\n  reserve(input: $input) {\n    __typename\n    ... on Reservation {\n      id\n      showId\n      seats\n      status\n      expiresAt\n      amount\n      currency\n    }\n    ... on SeatsTaken {\n      seats\n      alternatives\n    }\n    ... on Queued {\n      showId\n      position\n      etrSeconds\n      seatsWanted\n    }\n    ... on InvalidRequest {\n      message\n      field\n    }\n    ... on RateLimited {\n      message\n      retryAfterSeconds\n    }\n  }\n}"): typeof import('./graphql').ReserveDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Search($input: SearchInput!) {\n  search(input: $input) {\n    totalCount\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n    edges {\n      cursor\n      node {\n        showId\n        showtime\n        availableSeats\n        distanceKm\n        movie {\n          id\n          title\n          rating\n          durationMinutes\n          languages\n          genres\n        }\n        cinema {\n          id\n          name\n          city\n          postalCode\n          lat\n          lng\n        }\n      }\n    }\n  }\n}"): typeof import('./graphql').SearchDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SeatMap($showId: ID!) {\n  seatMap(showId: $showId) {\n    showId\n    version\n    free\n    held\n    booked\n    seats {\n      label\n      row\n      number\n      category\n      price\n      currency\n      status\n      x\n      y\n    }\n  }\n}"): typeof import('./graphql').SeatMapDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "subscription SeatMapSubscription($showId: ID!) {\n  seatMap(showId: $showId) {\n    showId\n    version\n    changes {\n      label\n      status\n    }\n    snapshot {\n      showId\n      version\n      free\n      held\n      booked\n      seats {\n        label\n        row\n        number\n        category\n        price\n        currency\n        status\n        x\n        y\n      }\n    }\n  }\n}"): typeof import('./graphql').SeatMapSubscriptionDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Show($id: ID!) {\n  show(id: $id) {\n    id\n    startsAt\n    hallName\n    totalSeats\n    availableSeats\n    movie {\n      id\n      title\n      rating\n      durationMinutes\n      languages\n      genres\n      releaseDate\n    }\n    cinema {\n      id\n      name\n      city\n      postalCode\n      lat\n      lng\n      halls\n    }\n  }\n}"): typeof import('./graphql').ShowDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
