"""Search pages load their movies and cinemas once per page, whatever shape the document has."""

from __future__ import annotations

from typing import Any

BARE = "query { search(input: {first: 3}) { edges { node { showId } } totalCount } }"
FRAGMENTS = """query {
  search(input: {first: 3}) { ...Page }
}
fragment Page on SearchConnection { edges { node { ... on ShowResult { showId ...Where } } } }
fragment Where on ShowResult { cinema { name } movie { title } }"""
ALIASED = """query {
  search(input: {first: 3}) { e: edges { n: node { showId m: movie { title } } } }
}"""


async def test_nodes_with_and_without_movie_and_cinema(api: Any, demo: None) -> None:
    bare = (await api(BARE))["search"]
    assert len(bare["edges"]) == 3 and bare["totalCount"] > 3
    full = (await api(FRAGMENTS))["search"]["edges"]
    assert [e["node"]["showId"] for e in full] == [e["node"]["showId"] for e in bare["edges"]]
    assert all(e["node"]["cinema"]["name"] and e["node"]["movie"]["title"] for e in full)
    aliased = (await api(ALIASED))["search"]["e"]
    assert [e["n"]["m"]["title"] for e in aliased] == [e["node"]["movie"]["title"] for e in full]
