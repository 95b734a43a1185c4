async def test_browse_needs_api_key(api):
    body = await api.raw("{ cities { id } }", api_key=None)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body.get("data") is None
    assert (await api("{ cities { id } }"))["cities"] == []
