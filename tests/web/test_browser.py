"""The fan's web app and GraphiQL in a real browser (Debian chromium via Playwright), offline:
every request outside the server's host is aborted, and any console error fails the test."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from playwright.async_api import Browser, Locator, expect

from tests.api.booking_ops import CONFIRM, RESERVE
from tests.factories import make_show
from tests.realtime.support import Server, World, graphql, uvicorn
from tests.web.conftest import Tab

OpenTab = Callable[..., Awaitable[Tab]]
M_SS = re.compile(r"^\d+:[0-5]\d$")


def app_url(world: World, token: str, show_id: int) -> str:
    return f"/#apiKey={world.key}&token={token}&show={show_id}"


def seat(tab: Tab, label: str) -> Locator:
    return tab.page.locator(f'[data-seat="{label}"]')


async def test_graphiql_renders_from_local_assets_only(open_tab: OpenTab) -> None:
    tab = await open_tab("/graphql")
    await expect(tab.page.locator(".graphiql-container")).to_be_visible()
    await expect(tab.page.locator(".graphiql-query-editor .CodeMirror")).to_be_visible()
    await expect(tab.page.get_by_text("cities { id name }")).to_be_visible()
    await tab.shot("graphiql")


async def test_two_fans_see_holds_and_bookings_live_and_the_payer_gets_tickets(
        open_tab: OpenTab, world: World, server: Server) -> None:
    show = await make_show(rows=10, per_row=14)
    a = await open_tab(app_url(world, world.tokens[0], show.show_id))
    b = await open_tab(app_url(world, world.tokens[1], show.show_id), viewport=(390, 844))
    for tab in (a, b):
        await expect(seat(tab, "J-12")).to_have_attribute("data-status", "FREE")

    await seat(a, "J-12").click()
    await seat(a, "J-13").press("Enter")  # keyboard works too
    await expect(seat(a, "J-12")).to_have_attribute("aria-pressed", "true")
    await expect(seat(a, "J-13")).to_have_attribute("aria-pressed", "true")
    await a.page.locator('[data-action="reserve"]').click()
    await expect(a.page.get_by_test_id("hold-countdown")).to_have_text(M_SS)
    for label in ("J-12", "J-13"):
        await expect(seat(b, label)).to_have_attribute("data-status", "HELD")
    await a.shot("hold")

    await a.page.locator('[data-action="pay"]').click()
    tickets = a.page.get_by_test_id("ticket")
    await expect(tickets).to_have_count(2)
    for i in range(2):
        qr = tickets.nth(i).locator("svg")
        await expect(qr).to_have_count(1)
        await expect(qr).to_be_visible()  # a real SVG element, drawn, not an unknown tag
        assert await qr.evaluate("e => e.namespaceURI") == "http://www.w3.org/2000/svg"
    assert sorted(await tickets.evaluate_all("els => els.map(e => e.dataset.seatLabel)")) == [
        "J-12", "J-13"]
    for label in ("J-12", "J-13"):
        await expect(seat(b, label)).to_have_attribute("data-status", "BOOKED")
    await a.shot("tickets")
    await b.shot("phone-seat-map")

    # a third fan books through the API: both pages show it without a reload
    held = await graphql(server.http, world.key, RESERVE,
                         {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                         token=world.tokens[2])
    reservation_id = held["reserve"]["id"]
    paid = await graphql(server.http, world.key, CONFIRM,
                         {"input": {"reservationId": reservation_id, "paymentToken": "tok_visa",
                                    "idempotencyKey": "web-test-a1"}}, token=world.tokens[2])
    assert paid["confirm"]["__typename"] == "Booking"
    for tab in (a, b):
        await expect(seat(tab, "A-1")).to_have_attribute("data-status", "BOOKED")


async def test_a_declined_card_shows_the_decline_and_keeps_the_hold(
        open_tab: OpenTab, world: World) -> None:
    show = await make_show(rows=2, per_row=5)
    # &card= preselects a sandbox card; the menu offers the same choice
    tab = await open_tab(app_url(world, world.tokens[0], show.show_id) + "&card=tok_chargeDeclined")
    await seat(tab, "B-3").click()
    await tab.page.locator('[data-action="reserve"]').click()
    await expect(tab.page.get_by_test_id("hold-countdown")).to_have_text(M_SS)
    await expect(tab.page.get_by_label("Card")).to_have_value("tok_chargeDeclined")
    await tab.page.locator('[data-action="pay"]').click()
    await expect(tab.page.get_by_test_id("payment-error")).to_contain_text("declined")
    await expect(tab.page.locator('[data-action="pay"]')).to_be_enabled()
    await expect(seat(tab, "B-3")).to_have_attribute("data-status", "HELD")
    await expect(tab.page.get_by_test_id("ticket")).to_have_count(0)


async def test_sold_out_puts_the_fan_in_the_queue_then_offers_the_seats(
        open_tab: OpenTab, world: World, server: Server) -> None:
    show = await make_show(rows=1, per_row=2)
    held = await graphql(server.http, world.key, RESERVE,
                         {"input": {"showId": str(show.show_id), "seats": ["A-1", "A-2"]}},
                         token=world.tokens[1])
    assert held["reserve"]["__typename"] == "Reservation"

    tab = await open_tab(app_url(world, world.tokens[0], show.show_id))
    await expect(seat(tab, "A-1")).to_have_attribute("data-status", "HELD")
    await tab.page.get_by_label("Seats wanted").fill("2")
    await tab.page.locator('[data-action="join-queue"]').click()
    await expect(tab.page.get_by_test_id("queue-position")).to_have_text("1")
    await tab.shot("queue")

    # a fan queued through the API sees their place on opening the show
    queued = await graphql(server.http, world.key, RESERVE,
                           {"input": {"showId": str(show.show_id), "seats": ["A-1"]}},
                           token=world.tokens[2])
    assert queued["reserve"] == {"__typename": "Queued", "showId": str(show.show_id),
                                 "position": 2, "etrSeconds": queued["reserve"]["etrSeconds"],
                                 "seatsWanted": 1}
    other = await open_tab(app_url(world, world.tokens[2], show.show_id))
    await expect(other.page.get_by_test_id("queue-position")).to_have_text("2")

    # the holder lets go: the seats go straight to the waiter as an offer, shown live
    cancel = """mutation C($id: ID!) { cancelReservation(reservationId: $id) { __typename } }"""
    await graphql(server.http, world.key, cancel, {"id": held["reserve"]["id"]},
                  token=world.tokens[1])
    await expect(tab.page.get_by_test_id("offer-countdown")).to_have_text(M_SS)
    await tab.page.locator('[data-action="pay"]').click()
    await expect(tab.page.get_by_test_id("ticket")).to_have_count(2)


async def test_graphiql_in_dev_runs_a_query_and_a_subscription_with_prefilled_headers(
        browser: Browser, world: World) -> None:
    show = await make_show(rows=1, per_row=3)
    env = {"BOXOFFICE_ENV": "dev", "GRAPHIQL_API_KEY": world.key,
           "GRAPHIQL_TOKEN": world.tokens[0]}
    with uvicorn(extra_env=env) as dev_server:
        context = await browser.new_context()
        try:
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            await page.goto(f"http://127.0.0.1:{dev_server.port}/graphql")
            editor = page.locator(".graphiql-query-editor .CodeMirror")
            await expect(editor).to_be_visible()

            async def run(query: str) -> None:
                await editor.evaluate("(e, q) => e.CodeMirror.setValue(q)", query)
                await page.locator(".graphiql-execute-button").click()

            await run(f'{{ show(id: "{show.show_id}") {{ totalSeats }} }}')
            await expect(page.locator(".graphiql-response")).to_contain_text('"totalSeats": 3')
            await run(f'subscription {{ seatMap(showId: "{show.show_id}") '
                      '{ version snapshot { free } } }')
            await expect(page.locator(".graphiql-response")).to_contain_text('"free": 3')
            assert errors == []
        finally:
            await context.close()
