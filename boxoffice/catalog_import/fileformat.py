"""The catalog file of `boxoffice import` (CONTRACT.md, "Catalog files"): parsed and checked.

Two passes, both stopping at the first problem so the message names one entry and one field:
1. pydantic, in strict JSON mode: shapes, types, ranges, unknown fields (`extra="forbid"`);
2. the cross-references and uniqueness pydantic cannot see (a show's hall must be a hall of
   its cinema, ids unique, one price per seat category in a hall, …), in file order.

Messages look like `shows[3].hall: unknown hall "s9" of cinema "pvr-forum"`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)
from pydantic.alias_generators import to_camel


class CatalogFileError(ValueError):
    """The file is not a valid catalog; the message names the first bad entry and field."""


def _integer_id_as_text(value: Any) -> Any:
    """Numeric ids (what many operators' systems export) are taken as their decimal text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# ids: what the operator's own systems use; no whitespace, so they print unambiguously
FileId = Annotated[str, BeforeValidator(_integer_id_as_text),
                   StringConstraints(min_length=1, max_length=100, pattern=r"^\S+$")]


def _text(max_length: int) -> Any:
    return Annotated[str, StringConstraints(min_length=1, max_length=max_length,
                                            pattern=r"\S")]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True,
                              alias_generator=to_camel, populate_by_name=True)


class CityEntry(_Entry):
    id: FileId
    name: _text(100)  # type: ignore[valid-type]


class MovieEntry(_Entry):
    id: FileId
    title: _text(300)  # type: ignore[valid-type]
    rating: float = Field(default=0.0, ge=0, le=10)
    duration_minutes: int = Field(ge=1, le=1440)
    languages: list[_text(40)] = Field(default_factory=list, max_length=50)  # type: ignore[valid-type]
    genres: list[_text(40)] = Field(default_factory=list, max_length=50)  # type: ignore[valid-type]
    release_date: date | None = None


class RowEntry(_Entry):
    row: Annotated[str, StringConstraints(pattern=r"^[A-Z]{1,3}$")]
    seats: int = Field(ge=1, le=999)
    category: _text(50)  # type: ignore[valid-type]
    price: int = Field(ge=0, le=2_000_000_000)  # minor units; the column is a 32-bit integer


class HallEntry(_Entry):
    id: FileId
    name: _text(100)  # type: ignore[valid-type]
    rows: list[RowEntry] = Field(min_length=1, max_length=200)


class CinemaEntry(_Entry):
    id: FileId
    city: FileId
    name: _text(200)  # type: ignore[valid-type]
    postal_code: _text(20)  # type: ignore[valid-type]
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    address: Annotated[str, StringConstraints(max_length=300)] = ""
    halls: list[HallEntry] = Field(min_length=1, max_length=100)


class ShowEntry(_Entry):
    id: FileId
    movie: FileId
    cinema: FileId
    hall: FileId
    starts_at: AwareDatetime
    on_sale_at: AwareDatetime | None = None
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class CatalogFile(_Entry):
    cities: list[CityEntry] = Field(default_factory=list)
    movies: list[MovieEntry] = Field(default_factory=list)
    cinemas: list[CinemaEntry] = Field(default_factory=list)
    shows: list[ShowEntry] = Field(default_factory=list)


def parse_catalog(raw: bytes | str) -> CatalogFile:
    """Parse and check a catalog file; raises CatalogFileError naming the first problem."""
    try:
        catalog = CatalogFile.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise CatalogFileError(_describe(exc.errors()[0])) from None
    check_references(catalog)
    return catalog


_PATTERN_MESSAGES = {
    r"^\S+$": "must be a non-empty id without spaces",
    r"\S": "must not be blank",
    r"^[A-Z]{1,3}$": "must be 1 to 3 capital letters",
    r"^[A-Z]{3}$": "must be an ISO 4217 currency code such as INR",
}


def _describe(error: Any) -> str:
    """One pydantic error as `path: message (got …)`."""
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    message = error["msg"]
    if error["type"] == "string_pattern_mismatch":
        message = _PATTERN_MESSAGES.get(error["ctx"]["pattern"], message)
    if error["type"] == "json_invalid":
        return f"not valid JSON: {error['ctx']['error']}" if "ctx" in error else message
    value = error.get("input")
    if error["type"] not in ("missing",) and not isinstance(value, dict | list):
        shown = repr(value) if not isinstance(value, str) else f'"{value}"'
        message += f" (got {shown[:60]})"
    return f"{path or 'file'}: {message}"


def check_references(c: CatalogFile) -> None:
    """Uniqueness and cross-references, in file order; raises CatalogFileError."""
    city_ids = _unique_ids("cities", c.cities)
    _unique_values("cities", c.cities, "name", lambda e: e.name)
    _unique_ids("movies", c.movies)
    cinema_ids = _unique_ids("cinemas", c.cinemas)
    names: dict[tuple[str, str], str] = {}
    for i, cinema in enumerate(c.cinemas):
        at = f"cinemas[{i}]"
        if cinema.city not in city_ids:
            raise CatalogFileError(f'{at}.city: unknown city "{cinema.city}"')
        other = names.setdefault((cinema.city, cinema.name), cinema.id)
        if other != cinema.id:
            raise CatalogFileError(
                f'{at}.name: cinema "{other}" of city "{cinema.city}" has the same name')
        _unique_ids(f"{at}.halls", cinema.halls)
        _unique_values(f"{at}.halls", cinema.halls, "name", lambda h: h.name)
        for j, hall in enumerate(cinema.halls):
            _check_rows(f"{at}.halls[{j}]", hall)
    halls = {(cinema.id, h.id) for cinema in c.cinemas for h in cinema.halls}
    movie_ids = {m.id for m in c.movies}
    _unique_ids("shows", c.shows)
    slots: dict[tuple[str, str, Any], str] = {}
    for i, show in enumerate(c.shows):
        at = f"shows[{i}]"
        if show.movie not in movie_ids:
            raise CatalogFileError(f'{at}.movie: unknown movie "{show.movie}"')
        if show.cinema not in cinema_ids:
            raise CatalogFileError(f'{at}.cinema: unknown cinema "{show.cinema}"')
        if (show.cinema, show.hall) not in halls:
            raise CatalogFileError(
                f'{at}.hall: unknown hall "{show.hall}" of cinema "{show.cinema}"')
        if show.on_sale_at is not None and show.on_sale_at > show.starts_at:
            raise CatalogFileError(f"{at}.onSaleAt: after the show starts")
        other = slots.setdefault((show.cinema, show.hall, show.starts_at), show.id)
        if other != show.id:
            raise CatalogFileError(
                f'{at}.startsAt: show "{other}" starts in the same hall at the same time')


def _unique_ids(path: str, entries: list[Any]) -> set[str]:
    return _unique_values(path, entries, "id", lambda e: e.id)


def _unique_values(path: str, entries: list[Any], field: str,
                   key: Callable[[Any], str]) -> set[str]:
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        value = key(entry)
        if value in seen:
            raise CatalogFileError(
                f'{path}[{i}].{field}: duplicate {field} "{value}" (also {path}[{seen[value]}])')
        seen[value] = i
    return set(seen)


def _check_rows(at: str, hall: HallEntry) -> None:
    rows: dict[str, int] = {}
    prices: dict[str, tuple[int, str]] = {}
    for k, row in enumerate(hall.rows):
        if row.row in rows:
            raise CatalogFileError(f'{at}.rows[{k}].row: duplicate row "{row.row}"')
        rows[row.row] = k
        first = prices.setdefault(row.category, (row.price, row.row))
        if first[0] != row.price:
            raise CatalogFileError(
                f'{at}.rows[{k}].price: category "{row.category}" costs {first[0]} in row '
                f'"{first[1]}" and {row.price} here (one price per category and hall)')
