"""Decoding request JSON: malformed input is the client's mistake (400), never a 500.

json.loads alone lets through what later breaks deep inside: invalid UTF-8 (UnicodeDecodeError,
not JSONDecodeError), 100k-deep nesting (RecursionError), lone surrogates (`"\\ud800"`: Postgres
and every encoder refuse them) and NUL characters (Postgres text cannot hold them).
"""

from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 32  # GraphQL variables of this schema nest 3 deep


class BadJson(ValueError):
    pass


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "NUL characters are not allowed in strings"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Strings must be valid Unicode (a lone surrogate was found)"
    return None


def check_value(value: Any) -> None:
    """Walk a decoded JSON value (iteratively, so depth costs no stack) for bad strings."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadJson(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if isinstance(item, str):
            if problem := _text_problem(item):
                raise BadJson(problem)
        elif isinstance(item, dict):
            for k, v in item.items():
                if problem := _text_problem(k):
                    raise BadJson(problem)
                stack.append((v, depth + 1))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def decode(data: str | bytes) -> Any:
    try:
        value = json.loads(data)
    except RecursionError:
        raise BadJson("JSON nested too deeply") from None
    except ValueError:  # JSONDecodeError, UnicodeDecodeError
        raise BadJson("Unable to parse request body as JSON") from None
    check_value(value)
    return value
