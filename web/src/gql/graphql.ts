/* eslint-disable */
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
export type MakeOptional<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]?: Maybe<T[SubKey]> };
export type MakeMaybe<T, K extends keyof T> = Omit<T, K> & { [SubKey in K]: Maybe<T[SubKey]> };
export type MakeEmpty<T extends { [key: string]: unknown }, K extends keyof T> = { [_ in K]?: never };
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** Date (isoformat) */
  Date: { input: any; output: any; }
  /** Date with time (isoformat) */
  DateTime: { input: any; output: any; }
};

export type Booking = {
  __typename?: 'Booking';
  amount: Scalars['Int']['output'];
  currency: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  reservationId: Scalars['ID']['output'];
  showId: Scalars['ID']['output'];
  tickets: Array<Ticket>;
};

export type CancelResult = NotFound | Reservation;

export type Cinema = {
  __typename?: 'Cinema';
  /** The city's name. */
  city: Scalars['String']['output'];
  /** Names of the cinema's halls (screens). */
  halls: Array<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  lat: Scalars['Float']['output'];
  lng: Scalars['Float']['output'];
  name: Scalars['String']['output'];
  postalCode: Scalars['String']['output'];
};

export type City = {
  __typename?: 'City';
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
};

export type ConfirmInput = {
  idempotencyKey: Scalars['String']['input'];
  paymentToken: Scalars['String']['input'];
  reservationId: Scalars['ID']['input'];
};

export type ConfirmResult = Booking | InvalidRequest | NotFound | PaymentDeclined | RateLimited | ReservationExpired;

export type GeoPoint = {
  lat: Scalars['Float']['input'];
  lng: Scalars['Float']['input'];
};

export type InvalidRequest = {
  __typename?: 'InvalidRequest';
  field?: Maybe<Scalars['String']['output']>;
  message: Scalars['String']['output'];
};

export type Movie = {
  __typename?: 'Movie';
  durationMinutes: Scalars['Int']['output'];
  genres: Array<Scalars['String']['output']>;
  id: Scalars['ID']['output'];
  languages: Array<Scalars['String']['output']>;
  rating: Scalars['Float']['output'];
  releaseDate?: Maybe<Scalars['Date']['output']>;
  title: Scalars['String']['output'];
};

export type Mutation = {
  __typename?: 'Mutation';
  /** Release a held reservation (idempotent; never booked seats). */
  cancelReservation: CancelResult;
  /** Pay for a hold; the same idempotencyKey charges once. */
  confirm: ConfirmResult;
  /** Leave a show's waiting queue; false when not queued. */
  leaveQueue: Scalars['Boolean']['output'];
  /** Hold 1-10 seats for 5 minutes, all or nothing. */
  reserve: ReserveResult;
};


export type MutationCancelReservationArgs = {
  reservationId: Scalars['ID']['input'];
};


export type MutationConfirmArgs = {
  input: ConfirmInput;
};


export type MutationLeaveQueueArgs = {
  showId: Scalars['ID']['input'];
};


export type MutationReserveArgs = {
  input: ReserveInput;
};

export type NotFound = {
  __typename?: 'NotFound';
  message: Scalars['String']['output'];
};

export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type PaymentDeclined = {
  __typename?: 'PaymentDeclined';
  declineCode?: Maybe<Scalars['String']['output']>;
  message: Scalars['String']['output'];
};

export type Query = {
  __typename?: 'Query';
  /** A booking of the caller's (owner only). */
  booking?: Maybe<Booking>;
  cinemas: Array<Cinema>;
  cities: Array<City>;
  /** With city: movies with upcoming shows there. */
  movies: Array<Movie>;
  /** The caller's place in a show's queue, null when not queued. */
  queuePosition?: Maybe<QueueTicket>;
  /** A reservation of the caller's (owner only). */
  reservation?: Maybe<Reservation>;
  search: SearchConnection;
  seatMap: SeatMap;
  /** Null when no show has this id. */
  show?: Maybe<Show>;
};


export type QueryBookingArgs = {
  id: Scalars['ID']['input'];
};


export type QueryCinemasArgs = {
  city: Scalars['String']['input'];
};


export type QueryMoviesArgs = {
  city?: InputMaybe<Scalars['String']['input']>;
};


export type QueryQueuePositionArgs = {
  showId: Scalars['ID']['input'];
};


export type QueryReservationArgs = {
  id: Scalars['ID']['input'];
};


export type QuerySearchArgs = {
  input: SearchInput;
};


export type QuerySeatMapArgs = {
  showId: Scalars['ID']['input'];
};


export type QueryShowArgs = {
  id: Scalars['ID']['input'];
};

export type QueueTicket = {
  __typename?: 'QueueTicket';
  etrSeconds: Scalars['Int']['output'];
  offer?: Maybe<Reservation>;
  position: Scalars['Int']['output'];
  seatsWanted: Scalars['Int']['output'];
  showId: Scalars['ID']['output'];
};

export type Queued = {
  __typename?: 'Queued';
  etrSeconds: Scalars['Int']['output'];
  position: Scalars['Int']['output'];
  seatsWanted: Scalars['Int']['output'];
  showId: Scalars['ID']['output'];
};

export type RateLimited = {
  __typename?: 'RateLimited';
  message: Scalars['String']['output'];
  retryAfterSeconds: Scalars['Int']['output'];
};

export type Reservation = {
  __typename?: 'Reservation';
  amount: Scalars['Int']['output'];
  currency: Scalars['String']['output'];
  expiresAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  seats: Array<Scalars['String']['output']>;
  showId: Scalars['ID']['output'];
  status: ReservationStatus;
};

export type ReservationExpired = {
  __typename?: 'ReservationExpired';
  message: Scalars['String']['output'];
  reservationId: Scalars['ID']['output'];
};

export type ReservationStatus =
  | 'CANCELLED'
  | 'CONFIRMED'
  | 'EXPIRED'
  | 'HELD';

export type ReserveInput = {
  seats: Array<Scalars['String']['input']>;
  sessionId?: InputMaybe<Scalars['String']['input']>;
  showId: Scalars['ID']['input'];
};

export type ReserveResult = InvalidRequest | Queued | RateLimited | Reservation | SeatsTaken;

export type SearchConnection = {
  __typename?: 'SearchConnection';
  edges: Array<SearchEdge>;
  pageInfo: PageInfo;
  /** All matches of the search, on every page. */
  totalCount: Scalars['Int']['output'];
};

export type SearchEdge = {
  __typename?: 'SearchEdge';
  cursor: Scalars['String']['output'];
  node: ShowResult;
};

/** Every filter is optional; given filters all apply (AND). */
export type SearchInput = {
  /** Opaque cursor from pageInfo.endCursor. */
  after?: InputMaybe<Scalars['String']['input']>;
  /** City name, any case. */
  city?: InputMaybe<Scalars['String']['input']>;
  /** Shows starting at or after this instant (with offset); default now. */
  datetime?: InputMaybe<Scalars['DateTime']['input']>;
  /** Page size, 1 to 100. */
  first?: InputMaybe<Scalars['Int']['input']>;
  /** Movie title fragment; case-insensitive, tolerates typos (3+ letters). */
  keyword?: InputMaybe<Scalars['String']['input']>;
  near?: InputMaybe<GeoPoint>;
  /** Alternative to near: the postal code's centroid. */
  postalCode?: InputMaybe<Scalars['String']['input']>;
  /** With near/postalCode: cinemas within this distance (default 10, >= 0). */
  radiusKm?: InputMaybe<Scalars['Float']['input']>;
  sort?: InputMaybe<SearchSort>;
};

export type SearchSort =
  | 'DISTANCE'
  | 'RATING'
  | 'SHOWTIME';

export type Seat = {
  __typename?: 'Seat';
  category: Scalars['String']['output'];
  currency: Scalars['String']['output'];
  /** ROW-NUMBER, e.g. J-12. */
  label: Scalars['String']['output'];
  number: Scalars['Int']['output'];
  /** Minor units (paise, cents). */
  price: Scalars['Int']['output'];
  row: Scalars['String']['output'];
  status: SeatStatus;
  /** Horizontal position; aisles leave gaps. */
  x: Scalars['Int']['output'];
  /** Row index from the front (0 = row A). */
  y: Scalars['Int']['output'];
};

export type SeatChange = {
  __typename?: 'SeatChange';
  label: Scalars['String']['output'];
  status: SeatStatus;
};

export type SeatMap = {
  __typename?: 'SeatMap';
  booked: Scalars['Int']['output'];
  free: Scalars['Int']['output'];
  held: Scalars['Int']['output'];
  /** Sorted by row (A first), then number. */
  seats: Array<Seat>;
  showId: Scalars['ID']['output'];
  version: Scalars['Int']['output'];
};

/** One step of a live seat map: a full snapshot, or changes. */
export type SeatMapEvent = {
  __typename?: 'SeatMapEvent';
  /** Seats whose status changed in this version; empty on a snapshot event. */
  changes: Array<SeatChange>;
  showId: Scalars['ID']['output'];
  /** Set on the first event of a subscription and after a resync: replace your whole map with it. */
  snapshot?: Maybe<SeatMap>;
  /** Strictly increasing per show; a delta is exactly the previous version + 1. */
  version: Scalars['Int']['output'];
};

export type SeatStatus =
  | 'BOOKED'
  | 'FREE'
  | 'HELD';

export type SeatsTaken = {
  __typename?: 'SeatsTaken';
  alternatives: Array<Scalars['String']['output']>;
  seats: Array<Scalars['String']['output']>;
};

export type Show = {
  __typename?: 'Show';
  availableSeats: Scalars['Int']['output'];
  cinema: Cinema;
  hallName: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  movie: Movie;
  seatMap: SeatMap;
  startsAt: Scalars['DateTime']['output'];
  totalSeats: Scalars['Int']['output'];
};

export type ShowResult = {
  __typename?: 'ShowResult';
  /** FREE seats, may be up to ~2 s stale. */
  availableSeats: Scalars['Int']['output'];
  cinema: Cinema;
  /** Set when `near` or `postalCode` was given. */
  distanceKm?: Maybe<Scalars['Float']['output']>;
  movie: Movie;
  showId: Scalars['ID']['output'];
  showtime: Scalars['DateTime']['output'];
};

export type Subscription = {
  __typename?: 'Subscription';
  /** The caller's place in the show's queue: now, and on every change (position, ETR, the offer when their turn comes). Ends when they stop waiting. */
  queue: QueueTicket;
  /** The caller's reservation as it is now, then each status change, until it is CONFIRMED, CANCELLED or EXPIRED (owner only). */
  reservation: Reservation;
  /** The show's seat map: a full snapshot first, then changes in version order; a fresh snapshot after any gap. */
  seatMap: SeatMapEvent;
};


export type SubscriptionQueueArgs = {
  showId: Scalars['ID']['input'];
};


export type SubscriptionReservationArgs = {
  id: Scalars['ID']['input'];
};


export type SubscriptionSeatMapArgs = {
  showId: Scalars['ID']['input'];
};

export type Ticket = {
  __typename?: 'Ticket';
  qrPayload: Scalars['String']['output'];
  qrSvg: Scalars['String']['output'];
  seat: Scalars['String']['output'];
};

export type BookingQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type BookingQuery = { __typename?: 'Query', booking?: { __typename?: 'Booking', id: string, reservationId: string, showId: string, amount: number, currency: string, tickets: Array<{ __typename?: 'Ticket', seat: string, qrPayload: string, qrSvg: string }> } | null };

export type CancelReservationMutationVariables = Exact<{
  reservationId: Scalars['ID']['input'];
}>;


export type CancelReservationMutation = { __typename?: 'Mutation', cancelReservation: { __typename: 'NotFound', message: string } | { __typename: 'Reservation', id: string, status: ReservationStatus, seats: Array<string> } };

export type CinemasQueryVariables = Exact<{
  city: Scalars['String']['input'];
}>;


export type CinemasQuery = { __typename?: 'Query', cinemas: Array<{ __typename?: 'Cinema', id: string, name: string, city: string, postalCode: string, lat: number, lng: number, halls: Array<string> }> };

export type CitiesQueryVariables = Exact<{ [key: string]: never; }>;


export type CitiesQuery = { __typename?: 'Query', cities: Array<{ __typename?: 'City', id: string, name: string }> };

export type ConfirmMutationVariables = Exact<{
  input: ConfirmInput;
}>;


export type ConfirmMutation = { __typename?: 'Mutation', confirm: { __typename: 'Booking', id: string, reservationId: string, showId: string, amount: number, currency: string, tickets: Array<{ __typename?: 'Ticket', seat: string, qrPayload: string, qrSvg: string }> } | { __typename: 'InvalidRequest', message: string, field?: string | null } | { __typename: 'NotFound', message: string } | { __typename: 'PaymentDeclined', message: string, declineCode?: string | null } | { __typename: 'RateLimited', message: string, retryAfterSeconds: number } | { __typename: 'ReservationExpired', reservationId: string, message: string } };

export type LeaveQueueMutationVariables = Exact<{
  showId: Scalars['ID']['input'];
}>;


export type LeaveQueueMutation = { __typename?: 'Mutation', leaveQueue: boolean };

export type MoviesQueryVariables = Exact<{
  city?: InputMaybe<Scalars['String']['input']>;
}>;


export type MoviesQuery = { __typename?: 'Query', movies: Array<{ __typename?: 'Movie', id: string, title: string, rating: number, durationMinutes: number, languages: Array<string>, genres: Array<string>, releaseDate?: any | null }> };

export type QueuePositionQueryVariables = Exact<{
  showId: Scalars['ID']['input'];
}>;


export type QueuePositionQuery = { __typename?: 'Query', queuePosition?: { __typename?: 'QueueTicket', showId: string, position: number, etrSeconds: number, seatsWanted: number, offer?: { __typename?: 'Reservation', id: string, seats: Array<string>, expiresAt: any, amount: number, currency: string } | null } | null };

export type QueueSubscriptionSubscriptionVariables = Exact<{
  showId: Scalars['ID']['input'];
}>;


export type QueueSubscriptionSubscription = { __typename?: 'Subscription', queue: { __typename?: 'QueueTicket', showId: string, position: number, etrSeconds: number, seatsWanted: number, offer?: { __typename?: 'Reservation', id: string, showId: string, seats: Array<string>, status: ReservationStatus, expiresAt: any, amount: number, currency: string } | null } };

export type ReservationQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ReservationQuery = { __typename?: 'Query', reservation?: { __typename?: 'Reservation', id: string, showId: string, seats: Array<string>, status: ReservationStatus, expiresAt: any, amount: number, currency: string } | null };

export type ReservationSubscriptionSubscriptionVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ReservationSubscriptionSubscription = { __typename?: 'Subscription', reservation: { __typename?: 'Reservation', id: string, showId: string, seats: Array<string>, status: ReservationStatus, expiresAt: any, amount: number, currency: string } };

export type ReserveMutationVariables = Exact<{
  input: ReserveInput;
}>;


export type ReserveMutation = { __typename?: 'Mutation', reserve: { __typename: 'InvalidRequest', message: string, field?: string | null } | { __typename: 'Queued', showId: string, position: number, etrSeconds: number, seatsWanted: number } | { __typename: 'RateLimited', message: string, retryAfterSeconds: number } | { __typename: 'Reservation', id: string, showId: string, seats: Array<string>, status: ReservationStatus, expiresAt: any, amount: number, currency: string } | { __typename: 'SeatsTaken', seats: Array<string>, alternatives: Array<string> } };

export type SearchQueryVariables = Exact<{
  input: SearchInput;
}>;


export type SearchQuery = { __typename?: 'Query', search: { __typename?: 'SearchConnection', totalCount: number, pageInfo: { __typename?: 'PageInfo', hasNextPage: boolean, endCursor?: string | null }, edges: Array<{ __typename?: 'SearchEdge', cursor: string, node: { __typename?: 'ShowResult', showId: string, showtime: any, availableSeats: number, distanceKm?: number | null, movie: { __typename?: 'Movie', id: string, title: string, rating: number, durationMinutes: number, languages: Array<string>, genres: Array<string> }, cinema: { __typename?: 'Cinema', id: string, name: string, city: string, postalCode: string, lat: number, lng: number } } }> } };

export type SeatMapQueryVariables = Exact<{
  showId: Scalars['ID']['input'];
}>;


export type SeatMapQuery = { __typename?: 'Query', seatMap: { __typename?: 'SeatMap', showId: string, version: number, free: number, held: number, booked: number, seats: Array<{ __typename?: 'Seat', label: string, row: string, number: number, category: string, price: number, currency: string, status: SeatStatus, x: number, y: number }> } };

export type SeatMapSubscriptionSubscriptionVariables = Exact<{
  showId: Scalars['ID']['input'];
}>;


export type SeatMapSubscriptionSubscription = { __typename?: 'Subscription', seatMap: { __typename?: 'SeatMapEvent', showId: string, version: number, changes: Array<{ __typename?: 'SeatChange', label: string, status: SeatStatus }>, snapshot?: { __typename?: 'SeatMap', showId: string, version: number, free: number, held: number, booked: number, seats: Array<{ __typename?: 'Seat', label: string, row: string, number: number, category: string, price: number, currency: string, status: SeatStatus, x: number, y: number }> } | null } };

export type ShowQueryVariables = Exact<{
  id: Scalars['ID']['input'];
}>;


export type ShowQuery = { __typename?: 'Query', show?: { __typename?: 'Show', id: string, startsAt: any, hallName: string, totalSeats: number, availableSeats: number, movie: { __typename?: 'Movie', id: string, title: string, rating: number, durationMinutes: number, languages: Array<string>, genres: Array<string>, releaseDate?: any | null }, cinema: { __typename?: 'Cinema', id: string, name: string, city: string, postalCode: string, lat: number, lng: number, halls: Array<string> } } | null };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}

export const BookingDocument = new TypedDocumentString(`
    query Booking($id: ID!) {
  booking(id: $id) {
    id
    reservationId
    showId
    amount
    currency
    tickets {
      seat
      qrPayload
      qrSvg
    }
  }
}
    `) as unknown as TypedDocumentString<BookingQuery, BookingQueryVariables>;
export const CancelReservationDocument = new TypedDocumentString(`
    mutation CancelReservation($reservationId: ID!) {
  cancelReservation(reservationId: $reservationId) {
    __typename
    ... on Reservation {
      id
      status
      seats
    }
    ... on NotFound {
      message
    }
  }
}
    `) as unknown as TypedDocumentString<CancelReservationMutation, CancelReservationMutationVariables>;
export const CinemasDocument = new TypedDocumentString(`
    query Cinemas($city: String!) {
  cinemas(city: $city) {
    id
    name
    city
    postalCode
    lat
    lng
    halls
  }
}
    `) as unknown as TypedDocumentString<CinemasQuery, CinemasQueryVariables>;
export const CitiesDocument = new TypedDocumentString(`
    query Cities {
  cities {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<CitiesQuery, CitiesQueryVariables>;
export const ConfirmDocument = new TypedDocumentString(`
    mutation Confirm($input: ConfirmInput!) {
  confirm(input: $input) {
    __typename
    ... on Booking {
      id
      reservationId
      showId
      amount
      currency
      tickets {
        seat
        qrPayload
        qrSvg
      }
    }
    ... on PaymentDeclined {
      message
      declineCode
    }
    ... on ReservationExpired {
      reservationId
      message
    }
    ... on NotFound {
      message
    }
    ... on InvalidRequest {
      message
      field
    }
    ... on RateLimited {
      message
      retryAfterSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<ConfirmMutation, ConfirmMutationVariables>;
export const LeaveQueueDocument = new TypedDocumentString(`
    mutation LeaveQueue($showId: ID!) {
  leaveQueue(showId: $showId)
}
    `) as unknown as TypedDocumentString<LeaveQueueMutation, LeaveQueueMutationVariables>;
export const MoviesDocument = new TypedDocumentString(`
    query Movies($city: String) {
  movies(city: $city) {
    id
    title
    rating
    durationMinutes
    languages
    genres
    releaseDate
  }
}
    `) as unknown as TypedDocumentString<MoviesQuery, MoviesQueryVariables>;
export const QueuePositionDocument = new TypedDocumentString(`
    query QueuePosition($showId: ID!) {
  queuePosition(showId: $showId) {
    showId
    position
    etrSeconds
    seatsWanted
    offer {
      id
      seats
      expiresAt
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<QueuePositionQuery, QueuePositionQueryVariables>;
export const QueueSubscriptionDocument = new TypedDocumentString(`
    subscription QueueSubscription($showId: ID!) {
  queue(showId: $showId) {
    showId
    position
    etrSeconds
    seatsWanted
    offer {
      id
      showId
      seats
      status
      expiresAt
      amount
      currency
    }
  }
}
    `) as unknown as TypedDocumentString<QueueSubscriptionSubscription, QueueSubscriptionSubscriptionVariables>;
export const ReservationDocument = new TypedDocumentString(`
    query Reservation($id: ID!) {
  reservation(id: $id) {
    id
    showId
    seats
    status
    expiresAt
    amount
    currency
  }
}
    `) as unknown as TypedDocumentString<ReservationQuery, ReservationQueryVariables>;
export const ReservationSubscriptionDocument = new TypedDocumentString(`
    subscription ReservationSubscription($id: ID!) {
  reservation(id: $id) {
    id
    showId
    seats
    status
    expiresAt
    amount
    currency
  }
}
    `) as unknown as TypedDocumentString<ReservationSubscriptionSubscription, ReservationSubscriptionSubscriptionVariables>;
export const ReserveDocument = new TypedDocumentString(`
    mutation Reserve($input: ReserveInput!) {
  reserve(input: $input) {
    __typename
    ... on Reservation {
      id
      showId
      seats
      status
      expiresAt
      amount
      currency
    }
    ... on SeatsTaken {
      seats
      alternatives
    }
    ... on Queued {
      showId
      position
      etrSeconds
      seatsWanted
    }
    ... on InvalidRequest {
      message
      field
    }
    ... on RateLimited {
      message
      retryAfterSeconds
    }
  }
}
    `) as unknown as TypedDocumentString<ReserveMutation, ReserveMutationVariables>;
export const SearchDocument = new TypedDocumentString(`
    query Search($input: SearchInput!) {
  search(input: $input) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        showId
        showtime
        availableSeats
        distanceKm
        movie {
          id
          title
          rating
          durationMinutes
          languages
          genres
        }
        cinema {
          id
          name
          city
          postalCode
          lat
          lng
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SearchQuery, SearchQueryVariables>;
export const SeatMapDocument = new TypedDocumentString(`
    query SeatMap($showId: ID!) {
  seatMap(showId: $showId) {
    showId
    version
    free
    held
    booked
    seats {
      label
      row
      number
      category
      price
      currency
      status
      x
      y
    }
  }
}
    `) as unknown as TypedDocumentString<SeatMapQuery, SeatMapQueryVariables>;
export const SeatMapSubscriptionDocument = new TypedDocumentString(`
    subscription SeatMapSubscription($showId: ID!) {
  seatMap(showId: $showId) {
    showId
    version
    changes {
      label
      status
    }
    snapshot {
      showId
      version
      free
      held
      booked
      seats {
        label
        row
        number
        category
        price
        currency
        status
        x
        y
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SeatMapSubscriptionSubscription, SeatMapSubscriptionSubscriptionVariables>;
export const ShowDocument = new TypedDocumentString(`
    query Show($id: ID!) {
  show(id: $id) {
    id
    startsAt
    hallName
    totalSeats
    availableSeats
    movie {
      id
      title
      rating
      durationMinutes
      languages
      genres
      releaseDate
    }
    cinema {
      id
      name
      city
      postalCode
      lat
      lng
      halls
    }
  }
}
    `) as unknown as TypedDocumentString<ShowQuery, ShowQueryVariables>;