async def test_ping_needs_api_key(api):
    body = await api.raw("{ ping }", api_key=None)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body.get("data") is None
    assert (await api("{ ping }"))["ping"] == "pong"
