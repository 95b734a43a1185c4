"""Show search: filters, three sort orders, signed keyset cursors and a total count.

Decisions (the GraphQL `SearchInput` documents the same):
- `first` defaults to 20 and must be 1..100; anything else is an error, not silently capped,
  so a client asking for 500 learns it gets at most 100.
- `keyword` matches a movie title case-insensitively as a substring (`LIKE`, served by the
  trigram index) or, for keywords of 3+ characters, by pg_trgm `word_similarity > 0.4`, which
  forgives typos ("marvle" finds "Marvel: Secret Wars").
- `near` or `postalCode` (its centroid; unknown code is an error) restrict to cinemas within
  `radiusKm` (default 10 km; 0 means exactly that spot) and set `distanceKm`. `radiusKm`
  without a point is an error, as is giving both a point and a postal code.
- `datetime` is a lower bound on start time (an offset is required); default: now, fixed at
  the first page and carried in the cursor so later pages and the total count agree.
- Order is total: (sort key, starts_at, show id). Cursors are keyset positions, signed with
  the server secret (HMAC-SHA256) and bound to the filters and sort they were issued for;
  tampered, foreign or stale cursors are rejected as bad input.
- `availableSeats` is `show.free_seats`, a counter the booking service maintains: no row counts.
- `minAdjacentSeats` (1..100) is answered from the Redis seat-map cache by
  `boxoffice/services/seatruns.py`, which resolves it to the set of matching show ids before
  the page and count queries run (`only_ids`), so pages, cursors and totalCount agree.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from boxoffice import db
from boxoffice.echo import clip
from boxoffice.secretkeys import verification_keys
from boxoffice.settings import get_settings
from models.catalog import ShowStatus

SORTS = ("SHOWTIME", "RATING", "DISTANCE")
DEFAULT_FIRST = 20
MAX_FIRST = 100
DEFAULT_RADIUS_KM = 10.0
MAX_KEYWORD = 100
MAX_CURSOR = 500
MAX_TEXT = 200
MAX_ADJACENT = 100
# no two points on Earth are further apart; larger radii are clamped to it (same meaning)
MAX_RADIUS_KM = 20_040.0
TRGM_MIN_KEYWORD = 3  # shorter keywords have too few trigrams to compare usefully
TRGM_THRESHOLD = 0.4
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


class SearchInputError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SearchRequest:
    keyword: str | None = None
    city: str | None = None
    near: tuple[float, float] | None = None  # (lat, lng)
    radius_km: float | None = None
    postal_code: str | None = None
    starts_after: datetime | None = None
    sort: str = "SHOWTIME"
    first: int = DEFAULT_FIRST
    after: str | None = None
    min_adjacent_seats: int | None = None


@dataclass(frozen=True)
class PreparedSearch:
    """A validated request: point resolved, lower time bound fixed, cursor decoded."""

    sort: str
    first: int
    keyword: str | None
    city: str | None
    point: tuple[float, float] | None
    radius_km: float | None
    since: datetime
    fingerprint: str
    after_keys: tuple[Any, ...] | None = None
    min_adjacent_seats: int | None = None
    # set by seatruns.restrict_to_adjacent: the shows with enough adjacent FREE seats
    only_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class SearchHit:
    show_id: int
    starts_at: datetime
    free_seats: int
    distance_km: float | None
    movie_id: int
    cinema_id: int
    cursor: str


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    has_next_page: bool
    end_cursor: str | None
    total: int | None = None  # when asked for and known from the page query


async def prepare_search(req: SearchRequest) -> PreparedSearch:
    """Validate `req` (raises SearchInputError) and resolve a postal code to its centroid."""
    if req.sort not in SORTS:
        raise SearchInputError(f"sort must be one of {', '.join(SORTS)}", "sort")
    if not 1 <= req.first <= MAX_FIRST:
        raise SearchInputError(f"first must be between 1 and {MAX_FIRST}", "first")
    keyword = " ".join(_text(req.keyword, "keyword").split()).lower() or None
    if keyword is not None and len(keyword) > MAX_KEYWORD:
        raise SearchInputError(f"keyword is longer than {MAX_KEYWORD} characters", "keyword")
    city = _text(req.city, "city").strip() or None
    if req.starts_after is not None and req.starts_after.tzinfo is None:
        raise SearchInputError("datetime needs a UTC offset", "datetime")

    point = await _resolve_point(req)
    radius = req.radius_km
    if radius is not None:
        if point is None:
            raise SearchInputError("radiusKm needs near or postalCode", "radiusKm")
        if not math.isfinite(radius) or radius < 0:
            raise SearchInputError("radiusKm must be a non-negative number", "radiusKm")
        radius = min(radius, MAX_RADIUS_KM)
    elif point is not None:
        radius = DEFAULT_RADIUS_KM
    if req.sort == "DISTANCE" and point is None:
        raise SearchInputError("sort DISTANCE needs near or postalCode", "sort")
    adjacent = req.min_adjacent_seats
    if adjacent is not None and not 1 <= adjacent <= MAX_ADJACENT:
        raise SearchInputError(f"minAdjacentSeats must be between 1 and {MAX_ADJACENT}",
                               "minAdjacentSeats")

    fingerprint = _fingerprint(req.sort, keyword, city, point, radius, req.starts_after,
                               adjacent)
    since = req.starts_after or datetime.now(UTC)
    after_keys = None
    if req.after is not None:
        cursor_since, after_keys = _decode_cursor(req.after, req.sort, fingerprint)
        if req.starts_after is None:
            since = cursor_since  # the "now" of the first page
    return PreparedSearch(sort=req.sort, first=req.first, keyword=keyword, city=city,
                          point=point, radius_km=radius, since=since, fingerprint=fingerprint,
                          after_keys=after_keys, min_adjacent_seats=adjacent)


async def search_page(p: PreparedSearch, *, with_total: bool = False) -> SearchPage:
    """A page of results; with `with_total` also the total count.

    With a selective filter (place or keyword) the count rides in the page query (one round
    trip over a few hundred rows); with only a time bound the matches are thousands, and a
    LIMITed page plus a lean count on the same connection is cheaper.
    """
    total = None
    async with db.read_pool().acquire() as conn:
        if with_total and (p.city or p.point or p.keyword):
            sql, args = page_sql(p, with_total=True)
            rows = await conn.fetch(sql, *args)
            # no rows: zero matches on a first page; past the end a separate count is needed
            total = rows[0]["total"] if rows else (0 if p.after_keys is None else None)
        else:
            sql, args = page_sql(p)
            rows = await conn.fetch(sql, *args)
        if with_total and total is None:
            sql, args = count_sql(p)
            total = int(await conn.fetchval(sql, *args))
    hits = tuple(
        SearchHit(show_id=r["id"], starts_at=r["starts_at"], free_seats=r["free_seats"],
                  distance_km=r["distance_km"], movie_id=r["movie"], cinema_id=r["cinema"],
                  cursor=_encode_cursor(p, _keys(p.sort, r)))
        for r in rows[: p.first]
    )
    return SearchPage(hits=hits, has_next_page=len(rows) > p.first,
                      end_cursor=hits[-1].cursor if hits else None, total=total)


async def search_count(p: PreparedSearch) -> int:
    sql, args = count_sql(p)
    return int(await db.read_pool().fetchval(sql, *args))


_POSTAL_CODE = "SELECT lat, lng FROM postal_code WHERE code = $1"


# --- SQL -------------------------------------------------------------------------------------


@dataclass
class _Args:
    values: list[Any] = field(default_factory=list)

    def add(self, value: Any, cast: str = "") -> str:
        self.values.append(value)
        return f"${len(self.values)}{cast}"


def _matches(p: PreparedSearch, a: _Args, *, count: bool = False,
             columns: str = "1") -> tuple[str, str]:
    """(WITH items, SELECT of every matching show) for the filters, without the keyset.

    Place filters (city, point and radius) pick cinemas first, each one's distance computed
    once, not once per show; shows are then found through (cinema, starts_at).
    """
    # a cancelled show is not for sale: fans never find it
    where = [f"s.starts_at >= {a.add(p.since, '::timestamptz')}",
             f"s.status = '{ShowStatus.SCHEDULED}'"]
    if p.keyword is not None:
        match = f"lower(title) LIKE {a.add('%' + _escape_like(p.keyword) + '%', '::text')}"
        if len(p.keyword) >= TRGM_MIN_KEYWORD:
            match += (f" OR word_similarity({a.add(p.keyword, '::text')}, lower(title))"
                      f" > {TRGM_THRESHOLD}")
        # an array computed once (InitPlan): as `IN (SELECT …)` the planner joined movie per
        # show and ran word_similarity once per show instead of once per movie (8 ms -> 1.4 ms
        # for keyword + city on the --scale 100 catalog)
        where.append(f"s.movie = ANY(ARRAY(SELECT id FROM movie WHERE {match}))")
    if p.only_ids is not None:
        where.append(f"s.id = ANY({a.add(list(p.only_ids), '::int[]')})")

    place: list[str] = []
    distance = "NULL::float8"
    if p.city is not None:
        place.append(
            f"c.city IN (SELECT id FROM city WHERE lower(name) = lower({a.add(p.city, '::text')}))"
        )
    if p.point is not None:
        here = f"ll_to_earth({a.add(p.point[0], '::float8')}, {a.add(p.point[1], '::float8')})"
        there = "ll_to_earth(c.lat, c.lng)"
        distance = f"earth_distance({here}, {there}) / 1000.0::float8"
        if p.radius_km is not None:
            meters = a.add(p.radius_km * 1000.0, "::float8")
            # the box is index-assisted (gist on ll_to_earth); the distance trims its corners
            place.append(f"earth_box({here}, {meters}) @> {there}")
            place.append(f"earth_distance({here}, {there}) <= {meters}")
    with_items, join, distance_col = "", "", "NULL::float8"
    if place or p.point is not None:
        with_items = (f"place AS MATERIALIZED (SELECT c.id, {distance} AS distance_km"
                      f" FROM cinema c WHERE {' AND '.join(place) or 'true'})")
        join, distance_col = "JOIN place ON place.id = s.cinema", "place.distance_km"
    if count:  # no columns, no movie join: the planner may count from indexes
        return with_items, f"SELECT {columns} FROM show s {join} WHERE {' AND '.join(where)}"
    select = f"""SELECT s.id, s.starts_at, s.free_seats, s.movie, s.cinema,
                        m.rating::float8 AS rating, {distance_col} AS distance_km
                 FROM show s {join} JOIN movie m ON m.id = s.movie
                 WHERE {' AND '.join(where)}"""
    return with_items, select


_ORDER = {
    "SHOWTIME": "s.starts_at, s.id",
    "RATING": "s.rating DESC, s.starts_at, s.id",
    "DISTANCE": "s.distance_km, s.starts_at, s.id",
}


def page_sql(p: PreparedSearch, *, with_total: bool = False) -> tuple[str, list[Any]]:
    """The page query: first + 1 rows (to learn whether a next page exists). `with_total`
    adds a `total` column, counted over all matches in the same statement (one round trip)."""
    a = _Args()
    with_items, select = _matches(p, a)
    keyset = _keyset(p.sort, p.after_keys, a) if p.after_keys is not None else "true"
    tail = f"WHERE {keyset} ORDER BY {_ORDER[p.sort]} LIMIT {p.first + 1}"
    if with_total:
        items = ", ".join(x for x in (with_items, f"matched AS MATERIALIZED ({select})") if x)
        sql = (f"WITH {items} SELECT s.*, (SELECT count(*) FROM matched) AS total"
               f" FROM matched s {tail}")
    else:
        # a plain subquery is flattened: the keyset and LIMIT reach the indexes
        sql = f"{'WITH ' + with_items if with_items else ''} SELECT * FROM ({select}) s {tail}"
    return sql, a.values


def count_sql(p: PreparedSearch) -> tuple[str, list[Any]]:
    a = _Args()
    with_items, select = _matches(p, a, count=True)
    with_clause = f"WITH {with_items}" if with_items else ""
    return f"{with_clause} SELECT count(*) FROM ({select}) s", a.values


def candidates_sql(p: PreparedSearch, min_free: int) -> tuple[str, list[Any]]:
    """Every match with at least `min_free` FREE seats: id, hall and FREE counters (the
    minAdjacentSeats pre-filter; no columns a planner would need the movie join for)."""
    a = _Args()
    with_items, select = _matches(p, a, count=True,
                                  columns="s.id, s.hall, s.free_seats, s.total_seats")
    with_clause = f"WITH {with_items}" if with_items else ""
    return (f"{with_clause} SELECT * FROM ({select}) c WHERE c.free_seats >= {a.add(min_free)}",
            a.values)


def _keyset(sort: str, keys: tuple[Any, ...], a: _Args) -> str:
    """Rows strictly after `keys` in the (sort key, starts_at, id) order."""
    *head, starts_us, show_id = keys
    tail = (f"(s.starts_at, s.id) > ({a.add(_from_us(starts_us), '::timestamptz')},"
            f" {a.add(show_id, '::int')})")
    if sort == "SHOWTIME":
        return tail
    v = a.add(float(head[0]), "::float8")
    col = "s.rating" if sort == "RATING" else "s.distance_km"
    op = "<" if sort == "RATING" else ">"  # rating descends, distance ascends
    return f"({col} {op} {v} OR ({col} = {v} AND {tail}))"


def _keys(sort: str, r: Any) -> list[Any]:
    tail = [_to_us(r["starts_at"]), r["id"]]
    if sort == "RATING":
        return [r["rating"], *tail]
    if sort == "DISTANCE":
        return [r["distance_km"], *tail]
    return tail


def _text(value: str | None, field: str) -> str:
    """Postgres text cannot hold NUL, and no name or title is this long: bad input, not a 500."""
    if value is None:
        return ""
    if "\x00" in value or len(value) > MAX_TEXT:
        raise SearchInputError(f"{field} is not a valid string", field)
    return value


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def _resolve_point(req: SearchRequest) -> tuple[float, float] | None:
    if req.near is not None and req.postal_code is not None:
        raise SearchInputError("give near or postalCode, not both", "postalCode")
    if req.near is not None:
        lat, lng = req.near
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            raise SearchInputError("near.lat must be between -90 and 90", "near")
        if not (math.isfinite(lng) and -180 <= lng <= 180):
            raise SearchInputError("near.lng must be between -180 and 180", "near")
        return (lat, lng)
    if req.postal_code is not None:
        code = _text(req.postal_code, "postalCode").strip()
        row = None
        if code and len(code) <= 20:
            row = await db.read_pool().fetchrow(_POSTAL_CODE, code)
        if row is None:
            raise SearchInputError(f"unknown postal code {clip(code)!r}", "postalCode")
        return (row["lat"], row["lng"])
    return None


# --- cursors ---------------------------------------------------------------------------------


# A page signs 20 cursors: a key derived once and one HMAC each (itsdangerous re-derives its
# key on every call, which cost ~3 ms a page).
@functools.lru_cache(maxsize=4)
def _cursor_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"boxoffice.search-cursor", hashlib.sha256).digest()


def _mac(body: bytes, secret: str | None = None) -> bytes:
    # hmac.digest is the one-shot C path, cheaper than hmac.new(...).digest()
    return hmac.digest(_cursor_key(secret or get_settings().secret_key), body, "sha256")[:16]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _fingerprint(sort: str, keyword: str | None, city: str | None,
                 point: tuple[float, float] | None, radius: float | None,
                 starts_after: datetime | None, min_adjacent: int | None = None) -> str:
    """Binds a cursor to the search it came from: reusing it with other filters is an error."""
    basis = [sort, keyword, city and city.lower(), point, radius,
             starts_after and _to_us(starts_after)]
    if min_adjacent is not None:  # appended only when set: existing cursors stay valid
        basis.append(min_adjacent)
    return hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:16]


# one encoder for every cursor: json.dumps(..., separators=…) builds a new one per call (8 µs)
_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"))


def _encode_cursor(p: PreparedSearch, keys: list[Any]) -> str:
    body = _COMPACT_JSON.encode({"f": p.fingerprint, "t": _to_us(p.since), "k": keys}).encode()
    return f"{_b64(body)}.{_b64(_mac(body))}"


def _decode_cursor(cursor: str, sort: str, fingerprint: str) -> tuple[datetime, tuple[Any, ...]]:
    bad = SearchInputError("after is not a valid cursor for this search", "after")
    if not cursor or len(cursor) > MAX_CURSOR:
        raise bad
    body_text, _, mac_text = cursor.partition(".")
    try:
        body, mac = _unb64(body_text), _unb64(mac_text)
    except (binascii.Error, ValueError) as exc:  # not base64, or not ASCII
        raise bad from exc
    # signed with the current SECRET_KEY or, during a rotation, a previous one
    if not any(hmac.compare_digest(mac, _mac(body, k)) for k in verification_keys()):
        raise bad
    data = json.loads(body)  # signed by us: well-formed
    if not isinstance(data, dict) or data.get("f") != fingerprint:
        raise bad
    since, keys = data.get("t"), data.get("k")
    width = 2 if sort == "SHOWTIME" else 3
    if not isinstance(since, int) or isinstance(since, bool):
        raise bad
    if not isinstance(keys, list) or len(keys) != width:
        raise bad
    if not all(_is_int(k) for k in keys[-2:]):
        raise bad
    if width == 3 and not _is_number(keys[0]):
        raise bad
    try:
        return _from_us(since), tuple(keys)
    except (OverflowError, ValueError) as exc:
        raise bad from exc


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: object) -> bool:
    return (_is_int(v) or isinstance(v, float)) and math.isfinite(float(v))  # type: ignore[arg-type]


def _to_us(dt: datetime) -> int:
    return (dt - _EPOCH) // _MICRO


def _from_us(us: int) -> datetime:
    return _EPOCH + us * _MICRO
