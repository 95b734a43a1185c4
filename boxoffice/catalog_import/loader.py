"""Writing a checked catalog file into Postgres, on the caller's transaction.

Identity is the file's own ids (`source_id` columns; a hall's id is unique within its cinema).
A row created before ids existed (the demo seed) is adopted by its natural key the first time:
a city by name, a cinema by (city, name), a hall by (cinema, name), a movie by title.

Order: cities, movies, postal-code centroids, cinemas, halls and their seat layouts, shows.
Shows are the only rows with customers attached, so a change to one (start time, movie, hall,
currency, prices, or its hall's seat layout) is applied only while it has no held or booked
seat and no booking: its seats are locked first (in label order, as `reserve` does), and a busy
show fails the whole import with a message naming it. `onSaleAt` may change at any time.
Shows the file does not list are never touched: a hall refitted with a new layout keeps the old
seats (marked `retired`) for the shows that have them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from statistics import fmean
from typing import Any

import asyncpg

from boxoffice.catalog_import.bulk import fk_checked_by_construction
from boxoffice.catalog_import.fileformat import CatalogFile, CatalogFileError, HallEntry
from boxoffice.catalog_import.tables import SyncResult, TableSpec, sync_rows
from models.booking import SeatStatus

_IMPORT_LOCK = 0x626F_696D  # pg_advisory_xact_lock key: one import at a time

CITY = TableSpec("city", (("source_id", "text"),),
                 (("name", "text"), ("lat", "float8"), ("lng", "float8")))
MOVIE = TableSpec(
    "movie", (("source_id", "text"),),
    (("title", "text"), ("rating", "float4"), ("duration_minutes", "int"),
     ("languages", "varchar[]"), ("genres", "varchar[]"), ("release_date", "date")),
    # rating is a `real`: compare at its precision
    normalise=lambda v: (v[0], round(float(v[1]), 3), *v[2:]),
)
CINEMA = TableSpec(
    "cinema", (("source_id", "text"),),
    (("city", "int"), ("name", "text"), ("address", "text"), ("postal_code", "text"),
     ("lat", "float8"), ("lng", "float8")),
)
HALL = TableSpec("cinema_hall", (("cinema", "int"), ("source_id", "text")), (("name", "text"),))


class CatalogConflict(CatalogFileError):
    """The file is valid but cannot be applied to this database (a busy show, a name taken)."""


@dataclass
class ImportReport:
    shows: list[tuple[str, int]] = field(default_factory=list)  # (file id, show id), file order
    counts: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # new, updated, same
    rebuilt_shows: list[int] = field(default_factory=list)  # seat maps to drop from caches

    def summary(self) -> str:
        return "; ".join(f"{name} {n} new, {u} updated, {s} unchanged"
                         for name, (n, u, s) in self.counts.items())


@dataclass(frozen=True)
class _Layout:
    """A hall's seats as the file describes them, comparable with the database's."""

    categories: tuple[tuple[str, int], ...]  # (name, rank) by rank
    seats: frozenset[tuple[str, str, int, str, int, int]]  # (category, row, number, label, x, y)
    prices: tuple[tuple[str, int], ...]  # (category, price) sorted

    @classmethod
    def of(cls, hall: HallEntry) -> _Layout:
        ranks: dict[str, int] = {}
        prices: dict[str, int] = {}
        seats = []
        for y, row in enumerate(hall.rows):
            ranks.setdefault(row.category, len(ranks))
            prices[row.category] = row.price
            seats += [(row.category, row.row, n, f"{row.row}-{n}", n, y)
                      for n in range(1, row.seats + 1)]
        return cls(tuple(ranks.items()), frozenset(seats), tuple(sorted(prices.items())))


async def apply_catalog(conn: asyncpg.Connection, c: CatalogFile) -> ImportReport:
    """Write `c` on `conn` (inside the caller's transaction); raises CatalogConflict."""
    report = ImportReport()
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _IMPORT_LOCK)

    city_ids = await _sync_cities(conn, c, report)
    movie_ids = await _sync_movies(conn, c, report)
    await _add_postal_codes(conn, c, city_ids, report)
    cinema_ids = await _sync_cinemas(conn, c, city_ids, report)
    hall_ids, layouts = await _sync_halls(conn, c, cinema_ids, report)
    relaid = await _sync_layouts(conn, hall_ids, layouts, report)
    await _sync_shows(conn, c, movie_ids, cinema_ids, hall_ids, layouts, relaid, report)
    return report


def _count(report: ImportReport, name: str, r: SyncResult) -> None:
    report.counts[name] = (len(r.created), len(r.updated), r.unchanged)


# --- catalog rows -------------------------------------------------------------------------


async def _sync_cities(conn: asyncpg.Connection, c: CatalogFile,
                       report: ImportReport) -> dict[str, int]:
    await _adopt(conn, "city", "name", [(e.id, e.name) for e in c.cities])
    await _check_free_names(conn, "city", "name", "cities", [(e.id, e.name) for e in c.cities])
    # the file gives cities no position: the mean of their cinemas (none: keep what is there)
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for cinema in c.cinemas:
        points[cinema.city].append((cinema.lat, cinema.lng))
    have = await conn.fetch("SELECT source_id, lat, lng FROM city WHERE source_id = ANY($1)",
                            [e.id for e in c.cities])
    kept = {r["source_id"]: (r["lat"], r["lng"]) for r in have}
    wanted = {}
    for e in c.cities:
        pts = points.get(e.id)
        lat, lng = ((round(fmean(p[0] for p in pts), 6), round(fmean(p[1] for p in pts), 6))
                    if pts else kept.get(e.id, (None, None)))
        wanted[(e.id,)] = (e.name, lat, lng)
    result = await sync_rows(conn, CITY, wanted)
    _count(report, "cities", result)
    return {k[0]: v for k, v in result.ids.items()}


async def _sync_movies(conn: asyncpg.Connection, c: CatalogFile,
                       report: ImportReport) -> dict[str, int]:
    await _adopt(conn, "movie", "title", [(e.id, e.title) for e in c.movies])
    wanted = {(e.id,): (e.title, e.rating, e.duration_minutes, list(e.languages),
                        list(e.genres), e.release_date) for e in c.movies}
    result = await sync_rows(conn, MOVIE, wanted)
    _count(report, "movies", result)
    return {k[0]: v for k, v in result.ids.items()}


async def _add_postal_codes(conn: asyncpg.Connection, c: CatalogFile, city_ids: dict[str, int],
                            report: ImportReport) -> None:
    """`search(postalCode:)` measures from a code's centroid: a code new to the database gets
    the mean position of the file's cinemas with that code. Known codes are left alone."""
    by_code: dict[str, list[Any]] = defaultdict(list)
    for cinema in c.cinemas:
        by_code[cinema.postal_code].append(cinema)
    codes = sorted(by_code)
    added = await conn.fetch(
        """INSERT INTO postal_code (code, city, lat, lng)
           SELECT * FROM unnest($1::text[], $2::int[], $3::float8[], $4::float8[])
                  AS t(code, city, lat, lng)
           WHERE NOT EXISTS (SELECT 1 FROM postal_code p WHERE p.code = t.code)
           RETURNING code""",
        codes,
        [city_ids[by_code[k][0].city] for k in codes],
        [round(fmean(x.lat for x in by_code[k]), 6) for k in codes],
        [round(fmean(x.lng for x in by_code[k]), 6) for k in codes],
    )
    report.counts["postal codes"] = (len(added), 0, len(codes) - len(added))


async def _sync_cinemas(conn: asyncpg.Connection, c: CatalogFile, city_ids: dict[str, int],
                        report: ImportReport) -> dict[str, int]:
    pairs = [(e.id, city_ids[e.city], e.name) for e in c.cinemas]
    await conn.execute(
        """UPDATE cinema c SET source_id = t.sid
           FROM unnest($1::text[], $2::int[], $3::text[]) AS t(sid, city, name)
           WHERE c.city = t.city AND c.name = t.name AND c.source_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM cinema x WHERE x.source_id = t.sid)""",
        *map(list, zip(*pairs, strict=True)) if pairs else ([], [], []),
    )
    taken = await conn.fetch(
        """SELECT t.i, c.source_id FROM cinema c
           JOIN unnest($1::text[], $2::int[], $3::text[]) WITH ORDINALITY AS t(sid, city, name, i)
             ON c.city = t.city AND c.name = t.name
           WHERE (c.source_id IS NULL OR c.source_id <> ALL($1::text[]))
           ORDER BY t.i LIMIT 1""",
        *map(list, zip(*pairs, strict=True)) if pairs else ([], [], []),
    )
    if taken:
        i = taken[0]["i"] - 1
        raise CatalogConflict(
            f'cinemas[{i}].name: "{c.cinemas[i].name}" already names cinema '
            f'{_quote(taken[0]["source_id"])} in city "{c.cinemas[i].city}"')
    wanted = {(e.id,): (city_ids[e.city], e.name, e.address, e.postal_code, e.lat, e.lng)
              for e in c.cinemas}
    result = await sync_rows(conn, CINEMA, wanted)
    _count(report, "cinemas", result)
    return {k[0]: v for k, v in result.ids.items()}


async def _sync_halls(
    conn: asyncpg.Connection, c: CatalogFile, cinema_ids: dict[str, int], report: ImportReport
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], _Layout]]:
    entries = [(cinema, hall) for cinema in c.cinemas for hall in cinema.halls]
    cols = ([cinema_ids[ci.id] for ci, _ in entries], [h.id for _, h in entries],
            [h.name for _, h in entries])
    await conn.execute(
        """UPDATE cinema_hall h SET source_id = t.sid
           FROM unnest($1::int[], $2::text[], $3::text[]) AS t(cinema, sid, name)
           WHERE h.cinema = t.cinema AND h.name = t.name AND h.source_id IS NULL
             AND NOT EXISTS (SELECT 1 FROM cinema_hall x
                             WHERE x.cinema = t.cinema AND x.source_id = t.sid)""",
        *cols,
    )
    taken = await conn.fetchrow(
        """SELECT t.i, h.source_id FROM cinema_hall h
           JOIN unnest($1::int[], $2::text[], $3::text[]) WITH ORDINALITY
                AS t(cinema, sid, name, i) ON h.cinema = t.cinema AND h.name = t.name
           WHERE h.source_id IS DISTINCT FROM t.sid
             AND (h.source_id IS NULL
                  OR NOT h.source_id = ANY(SELECT s.sid FROM unnest($1::int[], $2::text[])
                                               AS s(cinema, sid) WHERE s.cinema = h.cinema))
           ORDER BY t.i LIMIT 1""",
        *cols,
    )
    if taken is not None:
        cinema, hall = entries[taken["i"] - 1]
        i = c.cinemas.index(cinema)
        j = cinema.halls.index(hall)
        raise CatalogConflict(
            f'cinemas[{i}].halls[{j}].name: "{hall.name}" already names hall '
            f'{_quote(taken["source_id"])} of cinema "{cinema.id}"')
    wanted = {(cinema_ids[ci.id], h.id): (h.name,) for ci, h in entries}
    result = await sync_rows(conn, HALL, wanted)
    _count(report, "halls", result)
    hall_ids = {(ci.id, h.id): result.ids[(cinema_ids[ci.id], h.id)] for ci, h in entries}
    layouts = {(ci.id, h.id): _Layout.of(h) for ci, h in entries}
    return hall_ids, layouts


async def _sync_layouts(
    conn: asyncpg.Connection,
    hall_ids: dict[tuple[str, str], int],
    layouts: dict[tuple[str, str], _Layout],
    report: ImportReport,
) -> set[int]:
    """Seat categories and seats of each hall, to the file's layout. Nothing is deleted: a seat
    the new layout lacks is marked `retired` (new shows skip it; shows that already have it
    keep it, so a hall can be refitted while its sold shows stay as sold). Returns the halls
    whose layout changed (`_sync_shows` re-seats the file's shows in them, if idle)."""
    ids = list(hall_ids.values())
    current: dict[int, set[tuple[str, str, int, str, int, int]]] = defaultdict(set)
    ranks: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for r in await conn.fetch(
        """SELECT cs.hall, sc.name, sc.rank, cs.row, cs.number, cs.label, cs.x, cs.y
           FROM cinema_seat cs JOIN seat_category sc ON sc.id = cs.category
           WHERE cs.hall = ANY($1::int[]) AND NOT cs.retired""", ids):
        current[r["hall"]].add((r["name"], r["row"], r["number"], r["label"], r["x"], r["y"]))
        ranks[r["hall"]].add((r["name"], r["rank"]))
    had_seats = {r["hall"] for r in await conn.fetch(
        "SELECT DISTINCT hall FROM cinema_seat WHERE hall = ANY($1::int[])", ids)}
    to_lay = {hall_id: layouts[key] for key, hall_id in hall_ids.items()
              if current.get(hall_id) != set(layouts[key].seats)
              or ranks.get(hall_id) != set(layouts[key].categories)}
    relaid = set(to_lay) & had_seats
    report.counts["seat layouts"] = (len(to_lay) - len(relaid), len(relaid),
                                     len(hall_ids) - len(to_lay))
    if not to_lay:
        return relaid
    cats = [(h, name, rank) for h, lay in to_lay.items() for name, rank in lay.categories]
    await conn.execute(
        """UPDATE seat_category s SET rank = t.rank
           FROM unnest($1::int[], $2::text[], $3::int[]) AS t(hall, name, rank)
           WHERE s.hall = t.hall AND s.name = t.name AND s.rank <> t.rank""",
        *_columns(cats, 3),
    )
    await conn.execute(
        """INSERT INTO seat_category (hall, name, rank)
           SELECT * FROM unnest($1::int[], $2::text[], $3::int[]) AS t(hall, name, rank)
           WHERE NOT EXISTS (
               SELECT 1 FROM seat_category s WHERE s.hall = t.hall AND s.name = t.name)""",
        *_columns(cats, 3),
    )
    seats = _columns([(h, *seat) for h, lay in to_lay.items() for seat in sorted(lay.seats)], 7)
    await conn.execute(
        """UPDATE cinema_seat cs SET retired = true
           WHERE cs.hall = ANY($1::int[]) AND NOT cs.retired AND NOT EXISTS (
               SELECT 1 FROM unnest($2::int[], $3::text[]) AS t(hall, label)
               WHERE t.hall = cs.hall AND t.label = cs.label)""",
        list(to_lay), seats[0], seats[4],
    )
    await conn.execute(
        """UPDATE cinema_seat cs SET category = sc.id, row = t.row, number = t.number, x = t.x,
                  y = t.y, retired = false
           FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[], $6::int[],
                       $7::int[]) AS t(hall, category, row, number, label, x, y)
           JOIN seat_category sc ON sc.hall = t.hall AND sc.name = t.category
           WHERE cs.hall = t.hall AND cs.label = t.label
             AND (cs.category, cs.row, cs.number, cs.x, cs.y, cs.retired)
                 IS DISTINCT FROM (sc.id, t.row, t.number, t.x, t.y, false)""",
        *seats,
    )
    async with fk_checked_by_construction(conn):
        await conn.execute(
            """INSERT INTO cinema_seat (hall, category, row, number, label, x, y)
               SELECT t.hall, sc.id, t.row, t.number, t.label, t.x, t.y
               FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::text[],
                           $6::int[], $7::int[]) AS t(hall, category, row, number, label, x, y)
               JOIN seat_category sc ON sc.hall = t.hall AND sc.name = t.category
               WHERE NOT EXISTS (SELECT 1 FROM cinema_seat cs
                                 WHERE cs.hall = t.hall AND cs.label = t.label)""",
            *seats,
        )
    return relaid


async def _lock_busy_shows(conn: asyncpg.Connection, shows: list[int]) -> list[tuple[int, int]]:
    """Lock these shows' seats (label order per show, like `reserve`) and rows; return the
    (show, hall) of those with a held or booked seat or any booking, in id order."""
    if not shows:
        return []
    await conn.execute(
        """SELECT 1 FROM show_seat WHERE show = ANY($1::int[]) ORDER BY show, label
           FOR UPDATE""", shows)
    await conn.execute("SELECT 1 FROM show WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE",
                       shows)
    rows = await conn.fetch(
        f"""SELECT s.id, s.hall FROM show s WHERE s.id = ANY($1::int[])
             AND (EXISTS (SELECT 1 FROM show_seat ss WHERE ss.show = s.id
                          AND ss.status <> '{SeatStatus.FREE}')
                  OR EXISTS (SELECT 1 FROM booking b WHERE b.show = s.id))
           ORDER BY s.id""", shows)
    return [(r["id"], r["hall"]) for r in rows]


# --- shows ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _WantedShow:
    index: int
    movie: int
    hall: int
    cinema: int
    starts_at: datetime
    currency: str
    on_sale_at: datetime | None
    prices: tuple[tuple[str, int], ...]


async def _sync_shows(
    conn: asyncpg.Connection,
    c: CatalogFile,
    movie_ids: dict[str, int],
    cinema_ids: dict[str, int],
    hall_ids: dict[tuple[str, str], int],
    layouts: dict[tuple[str, str], _Layout],
    relaid_halls: set[int],
    report: ImportReport,
) -> None:
    """Create new shows; update changed ones (guarded: see the module docstring); re-seat
    those whose hall, currency, prices or hall layout changed."""
    wanted = {
        s.id: _WantedShow(i, movie_ids[s.movie], hall_ids[(s.cinema, s.hall)],
                          cinema_ids[s.cinema], s.starts_at, s.currency, s.on_sale_at,
                          layouts[(s.cinema, s.hall)].prices)
        for i, s in enumerate(c.shows)
    }
    have = {r["source_id"]: r for r in await conn.fetch(
        """SELECT id, source_id, movie, hall, cinema, starts_at, currency, on_sale_at
           FROM show WHERE source_id = ANY($1::text[])""", list(wanted))}
    old_prices: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for r in await conn.fetch(
        """SELECT sp.show, sc.name, sp.price FROM show_price sp
           JOIN seat_category sc ON sc.id = sp.category
           JOIN show s ON s.id = sp.show WHERE s.source_id = ANY($1::text[])""",
            list(wanted)):
        old_prices[r["show"]].append((r["name"], r["price"]))

    guarded: dict[int, tuple[str, str]] = {}  # show id -> (file id, first changed field)
    updates: list[tuple[int, _WantedShow]] = []
    reseat: list[tuple[int, _WantedShow]] = []
    for sid, w in wanted.items():
        row = have.get(sid)
        if row is None:
            continue
        # same hall, new seat layout: its seats are the old layout's
        relaid = w.hall == row["hall"] and w.hall in relaid_halls
        prices_changed = tuple(sorted(old_prices[row["id"]])) != w.prices
        changed = [name for name, old, now in (
            ("startsAt", row["starts_at"], w.starts_at), ("movie", row["movie"], w.movie),
            ("hall", row["hall"], w.hall), ("currency", row["currency"], w.currency),
        ) if old != now]
        if relaid:
            changed.append("layout")
        if prices_changed:
            changed.append("prices")
        if changed:
            guarded[row["id"]] = (sid, changed[0])
        if changed or row["on_sale_at"] != w.on_sale_at:
            updates.append((row["id"], w))
        if relaid or w.hall != row["hall"] or w.currency != row["currency"] or prices_changed:
            reseat.append((row["id"], w))

    busy = await _lock_busy_shows(conn, sorted(guarded))
    if busy:
        show_id = busy[0][0]
        sid, what = guarded[show_id]
        i = wanted[sid].index
        if what in ("prices", "layout"):
            detail = "its hall's prices" if what == "prices" else "its hall's seat layout"
            where = f"shows[{i}].hall"
        else:
            where, detail = f"shows[{i}].{what}", f"its {what}"
        raise CatalogConflict(f'{where}: show "{sid}" (ID {show_id}) has holds or bookings, '
                              f"so {detail} cannot change")

    if updates:
        await conn.execute(
            """UPDATE show s SET movie = u.movie, hall = u.hall, cinema = u.cinema,
                      starts_at = u.starts_at, currency = u.currency, on_sale_at = u.on_sale_at
               FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::timestamptz[],
                           $6::text[], $7::timestamptz[])
                    AS u(id, movie, hall, cinema, starts_at, currency, on_sale_at)
               WHERE s.id = u.id""",
            *_columns([(i, w.movie, w.hall, w.cinema, w.starts_at, w.currency, w.on_sale_at)
                       for i, w in updates], 7),
        )
    if reseat:
        ids = [i for i, _ in reseat]
        await conn.execute("DELETE FROM show_seat WHERE show = ANY($1::int[])", ids)
        await conn.execute("DELETE FROM show_price WHERE show = ANY($1::int[])", ids)
    created = await _insert_shows(conn, [(sid, w) for sid, w in wanted.items() if sid not in have])
    await _seat_shows(conn, [*reseat, *created.items()])

    report.rebuilt_shows = [i for i, _ in reseat]
    ids_by_index = {w.index: show_id for show_id, w in created.items()}
    ids_by_index.update({wanted[sid].index: r["id"] for sid, r in have.items()})
    report.shows = [(s.id, ids_by_index[i]) for i, s in enumerate(c.shows)]
    touched = len({i for i, _ in updates} | {i for i, _ in reseat})
    report.counts["shows"] = (len(created), touched, len(have) - touched)


async def _insert_shows(conn: asyncpg.Connection,
                        new: list[tuple[str, _WantedShow]]) -> dict[int, _WantedShow]:
    if not new:
        return {}
    rows = await conn.fetch(
        """WITH spec AS (
               SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::int[],
                                    $5::timestamptz[], $6::text[], $7::timestamptz[])
                      AS t(source_id, movie, hall, cinema, starts_at, currency, on_sale_at)
           ), seats AS (
               SELECT hall, count(*)::int AS n FROM cinema_seat
               WHERE hall = ANY($3::int[]) AND NOT retired GROUP BY hall
           )
           INSERT INTO show (source_id, movie, hall, cinema, starts_at, currency, on_sale_at,
                             total_seats, free_seats, seat_version)
           SELECT spec.*, seats.n, seats.n, 0 FROM spec JOIN seats ON seats.hall = spec.hall
           RETURNING id, source_id""",
        *_columns([(sid, w.movie, w.hall, w.cinema, w.starts_at, w.currency, w.on_sale_at)
                   for sid, w in new], 7),
    )
    by_sid = dict(new)
    return {r["id"]: by_sid[r["source_id"]] for r in rows}


async def _seat_shows(conn: asyncpg.Connection,
                      everything: list[tuple[int, _WantedShow]]) -> None:
    """Price lists and FREE seats for new and re-seated shows; seat counts set to match.

    The seats go in with binary COPY, built here from the halls' seats (one read of
    cinema_seat): for a national catalog that is millions of rows, and COPY writes them in
    batches where `INSERT … SELECT` (services/shows.py, the path for single shows) writes
    them one WAL record at a time — about twice as fast on this box."""
    if not everything:
        return
    prices = [(show_id, name, price) for show_id, w in everything for name, price in w.prices]
    halls: dict[int, list[asyncpg.Record]] = defaultdict(list)
    for r in await conn.fetch(
        """SELECT cs.hall, cs.id, cs.label, cs.row, cs.number, cs.x, cs.y, sc.name
           FROM cinema_seat cs JOIN seat_category sc ON sc.id = cs.category
           WHERE cs.hall = ANY($1::int[]) AND NOT cs.retired ORDER BY cs.hall, cs.id""",
            sorted({w.hall for _, w in everything})):
        halls[r["hall"]].append(r)

    def seat_rows() -> Iterator[tuple[Any, ...]]:
        for show_id, w in everything:
            price = dict(w.prices)
            for seat in halls[w.hall]:
                yield (show_id, seat["id"], seat["label"], seat["row"], seat["number"],
                       seat["x"], seat["y"], seat["name"], price[seat["name"]], SeatStatus.FREE)

    async with fk_checked_by_construction(conn):
        await conn.execute(
            """INSERT INTO show_price (show, category, price)
               SELECT p.show, sc.id, p.price
               FROM unnest($1::int[], $2::text[], $3::int[]) AS p(show, name, price)
               JOIN show s ON s.id = p.show
               JOIN seat_category sc ON sc.hall = s.hall AND sc.name = p.name""",
            *_columns(prices, 3),
        )
        await conn.copy_records_to_table(
            "show_seat", records=seat_rows(),
            columns=["show", "cinema_seat", "label", "row", "number", "x", "y", "category",
                     "price", "status"])
    counts = [(show_id, len(halls[w.hall])) for show_id, w in everything]
    await conn.execute(
        """UPDATE show s SET total_seats = u.n, free_seats = u.n
           FROM unnest($1::int[], $2::int[]) AS u(id, n)
           WHERE s.id = u.id AND (s.total_seats, s.free_seats) IS DISTINCT FROM (u.n, u.n)""",
        *_columns(counts, 2),
    )


# --- helpers --------------------------------------------------------------------------------


async def _adopt(conn: asyncpg.Connection, table: str, column: str,
                 pairs: list[tuple[str, str]]) -> None:
    """Give rows without a file id (the demo seed's) the id of the file entry that has their
    natural key, once; the lowest id wins when several rows share it."""
    if not pairs:
        return
    await conn.execute(
        f"""UPDATE {table} r SET source_id = m.sid
            FROM (SELECT DISTINCT ON (t.sid) t.sid, x.id
                  FROM unnest($1::text[], $2::text[]) AS t(sid, key)
                  JOIN {table} x ON x.{column} = t.key AND x.source_id IS NULL
                  WHERE NOT EXISTS (SELECT 1 FROM {table} y WHERE y.source_id = t.sid)
                  ORDER BY t.sid, x.id) AS m
            WHERE r.id = m.id""",
        [p[0] for p in pairs], [p[1] for p in pairs],
    )


async def _check_free_names(conn: asyncpg.Connection, table: str, column: str, path: str,
                            pairs: list[tuple[str, str]]) -> None:
    """A unique name another row (not in this file) already has: name the entry."""
    if not pairs:
        return
    row = await conn.fetchrow(
        f"""SELECT t.i, x.source_id FROM unnest($1::text[], $2::text[]) WITH ORDINALITY
                   AS t(sid, key, i)
            JOIN {table} x ON x.{column} = t.key
            WHERE (x.source_id IS NULL OR x.source_id <> ALL($1::text[]))
            ORDER BY t.i LIMIT 1""",
        [p[0] for p in pairs], [p[1] for p in pairs],
    )
    if row is not None:
        i = row["i"] - 1
        raise CatalogConflict(f'{path}[{i}].{column}: "{pairs[i][1]}" already names '
                              f"{table} {_quote(row['source_id'])}")


def _quote(source_id: str | None) -> str:
    return f'"{source_id}"' if source_id is not None else "(not from a catalog file)"


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[list[Any]]:
    return [[r[i] for r in rows] for i in range(width)]
