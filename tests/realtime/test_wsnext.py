"""`next` frames for shared results: byte-identical to Strawberry's, encoded once per object."""

from __future__ import annotations

import json

from boxoffice.http import wsnext


def test_frame_is_what_strawberry_sends() -> None:
    data = {"seatMap": {"showId": "7", "version": 3, "snapshot": None,
                        "changes": [{"label": "A-1", "status": "HELD"}], "note": "é\""}}
    strawberry = json.dumps({"id": "op-1", "type": "next", "payload": {"data": data}},
                            separators=(",", ":"))
    assert wsnext.next_frame("op-1", data) == strawberry
    assert wsnext.next_frame('we"ird', data) == json.dumps(
        {"id": 'we"ird', "type": "next", "payload": {"data": data}}, separators=(",", ":"))


def test_the_same_object_is_encoded_once(monkeypatch) -> None:
    calls: list[object] = []
    original = wsnext.encode

    def counting(value: object) -> str:
        calls.append(value)
        return original(value)

    monkeypatch.setattr(wsnext, "encode", counting)
    shared = {"seatMap": {"version": 1}}
    frames = [wsnext.next_frame(str(i), shared) for i in range(100)]
    assert len({f.split(',"type"')[1] for f in frames}) == 1
    assert sum(1 for c in calls if c is shared) == 1  # the payload once, then only the ids
    # an equal but distinct object (another event) is encoded on its own
    wsnext.next_frame("x", {"seatMap": {"version": 1}})
    assert sum(1 for c in calls if isinstance(c, dict)) == 2


def test_a_per_user_result_is_never_kept() -> None:
    """Queue, reservation and query results are one user's: encoded for that frame only, so
    the cache never retains them nor pushes shared seat-map entries out."""
    mine = {"queue": {"position": 3, "offer": None}}
    frame = wsnext.next_frame("op-9", mine, shared=False)
    assert frame == json.dumps({"id": "op-9", "type": "next", "payload": {"data": mine}},
                               separators=(",", ":"))
    assert all(entry[0] is not mine for entry in wsnext._ENCODED.values())
    wsnext.next_frame("op-9", mine)  # a shared one is kept
    assert any(entry[0] is mine for entry in wsnext._ENCODED.values())
