"""Generate (or check) frontend_contract/schema.graphql from the code.

    python -m devtools.contract          # write it
    python -m devtools.contract --check  # exit 1 when the file is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SDL_PATH = ROOT / "frontend_contract" / "schema.graphql"
HEADER = "# Generated from the code by `make schema` (python -m devtools.contract).\n\n"


def render_sdl() -> str:
    from schema.root import schema

    return HEADER + str(schema).strip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when the file is stale")
    args = parser.parse_args(argv)
    sdl = render_sdl()
    current = SDL_PATH.read_text() if SDL_PATH.exists() else ""
    if args.check:
        if current != sdl:
            print(f"{SDL_PATH} is stale: run `make schema`", file=sys.stderr)
            return 1
        return 0
    if current != sdl:
        SDL_PATH.write_text(sdl)
        print(f"wrote {SDL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
