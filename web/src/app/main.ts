// The fan's app: credentials from the URL fragment (#apiKey=…&token=…&show=…), then
// city → movie → show, the live seat map, reserve, pay, tickets; the queue when sold out.
import "./style.css";
import { Api, GraphQLFailure, type Credentials } from "./api";
import { h, inlineSvg, mmss, money } from "./dom";
import { MAX_SEATS, SeatMapView } from "./seatmap";
import {
  CitiesDocument, ConfirmDocument, LeaveQueueDocument, MoviesDocument, QueuePositionDocument,
  QueueSubscriptionDocument, ReserveDocument, SearchDocument, ShowDocument, CancelReservationDocument,
  type ConfirmMutation, type QueueSubscriptionSubscription,
} from "../gql/graphql";

type Hold = { id: string; seats: string[]; expiresAt: string; amount: number; currency: string };
type Booking = Extract<ConfirmMutation["confirm"], { __typename: "Booking" }>;

const CARDS: [string, string][] = [
  ["tok_visa", "Visa •••• 4242 (sandbox, succeeds)"],
  ["tok_mastercard", "Mastercard (sandbox, succeeds)"],
  ["tok_chargeDeclined", "Declined card (sandbox)"],
  ["tok_chargeDeclinedInsufficientFunds", "Insufficient funds (sandbox)"],
];

const main = document.getElementById("main") as HTMLElement;
let cleanup: (() => void)[] = [];

function fragment(): URLSearchParams {
  return new URLSearchParams(window.location.hash.replace(/^#/, ""));
}

function setFragment(change: Record<string, string | null>): void {
  const params = fragment();
  for (const [k, v] of Object.entries(change)) if (v === null) params.delete(k); else params.set(k, v);
  window.location.hash = params.toString();
}

function describe(e: unknown): string {
  if (e instanceof GraphQLFailure) return e.code ? `${e.message} (${e.code})` : e.message;
  return e instanceof Error ? e.message : String(e);
}

function alertBox(text: string, testid = "error"): HTMLElement {
  return h("p", { class: "alert", role: "alert", "data-testid": testid }, text);
}

function route(): void {
  for (const fn of cleanup) fn();
  cleanup = [];
  const params = fragment();
  const creds: Credentials = { apiKey: params.get("apiKey") ?? "", token: params.get("token") ?? "" };
  (document.getElementById("who") as HTMLElement).textContent = creds.token ? "signed in" : creds.apiKey ? "browsing (no user token)" : "";
  (document.getElementById("home") as HTMLAnchorElement).href = `#${new URLSearchParams({ apiKey: creds.apiKey, token: creds.token })}`;
  if (!creds.apiKey) return credentialsForm();
  const api = new Api(creds);
  const show = params.get("show");
  if (show) showPage(api, show);
  else browse(api);
}

function credentialsForm(): void {
  const key = h("input", { id: "apikey", name: "apiKey", required: true, autocomplete: "off" });
  const token = h("input", { id: "token", name: "token", autocomplete: "off" });
  main.replaceChildren(h("form", {
    class: "card",
    onsubmit: ((e: Event) => { e.preventDefault(); setFragment({ apiKey: key.value.trim(), token: token.value.trim() }); }) as EventListener,
  },
  h("h1", {}, "Sign in"),
  h("p", { class: "muted" }, "`boxoffice dev` prints an API key and a demo user's token."),
  h("label", { for: "apikey" }, "API key"), key,
  h("label", { for: "token" }, "User token"), token,
  h("button", { type: "submit" }, "Continue")));
}

async function browse(api: Api): Promise<void> {
  const citySel = h("select", { id: "city" }, h("option", { value: "" }, "Choose a city"));
  const movieSel = h("select", { id: "movie", disabled: true }, h("option", { value: "" }, "Any movie"));
  const results = h("ul", { class: "shows", "aria-label": "Shows" });
  const status = h("p", { class: "muted", role: "status" });
  main.replaceChildren(h("section", { class: "card" },
    h("h1", {}, "Find a show"),
    h("label", { for: "city" }, "City"), citySel,
    h("label", { for: "movie" }, "Movie"), movieSel,
    status, results));

  async function search(): Promise<void> {
    const city = citySel.value;
    if (!city) return;
    status.textContent = "Searching…";
    try {
      const movie = movieSel.value;
      const data = await api.request(SearchDocument, { input: { city, keyword: movie || null, first: 30 } });
      status.textContent = `${data.search.totalCount} show(s)`;
      results.replaceChildren(...data.search.edges.map(({ node }) => h("li", {},
        h("a", { href: `#${new URLSearchParams({ ...Object.fromEntries(fragment()), show: node.showId })}`, "data-show": node.showId },
          h("strong", {}, node.movie.title), ` · ${node.cinema.name} · ${new Date(node.showtime).toLocaleString()} · ${node.availableSeats} free`))));
    } catch (e) {
      status.replaceChildren(alertBox(describe(e)));
    }
  }

  citySel.addEventListener("change", async () => {
    movieSel.replaceChildren(h("option", { value: "" }, "Any movie"));
    movieSel.disabled = !citySel.value;
    if (!citySel.value) return;
    try {
      const data = await api.request(MoviesDocument, { city: citySel.value });
      for (const m of data.movies) movieSel.append(h("option", { value: m.title }, m.title));
    } catch (e) {
      status.replaceChildren(alertBox(describe(e)));
    }
    void search();
  });
  movieSel.addEventListener("change", () => void search());
  try {
    const data = await api.request(CitiesDocument, {});
    for (const c of data.cities) citySel.append(h("option", { value: c.name }, c.name));
  } catch (e) {
    status.replaceChildren(alertBox(describe(e)));
  }
}

function showPage(api: Api, showId: string): void {
  const title = h("h1", {}, `Show ${showId}`);
  const info = h("p", { class: "muted" });
  const map = new SeatMapView(api, showId);
  const panel = h("section", { class: "panel", "aria-label": "Your booking", "aria-live": "polite" });
  const back = h("a", { href: `#${new URLSearchParams({ apiKey: api.creds.apiKey, token: api.creds.token })}` }, "← all shows");
  main.replaceChildren(h("div", { class: "show" }, back, title, info, map.root, panel));
  const flow = new Checkout(api, showId, map, panel);
  cleanup.push(() => { map.dispose(); flow.dispose(); });
  map.onChange = () => flow.selectionChanged();
  map.start();
  flow.selectionChanged();

  api.request(ShowDocument, { id: showId }).then((d) => {
    if (!d.show) { title.textContent = "No such show"; return; }
    title.textContent = d.show.movie.title;
    info.textContent = `${d.show.cinema.name}, ${d.show.cinema.city} · ${d.show.hallName} · ${new Date(d.show.startsAt).toLocaleString()}`;
  }).catch((e) => info.replaceChildren(alertBox(describe(e))));
  if (api.creds.token)
    api.request(QueuePositionDocument, { showId }).then((d) => { if (d.queuePosition) flow.watchQueue(); }).catch(() => {});
}

/** What the fan does on a show page: select → reserve → pay → tickets, or wait in the queue. */
class Checkout {
  private timer: number | undefined;
  private stopQueue: (() => void) | null = null;
  private mode: "select" | "hold" | "queue" | "done" = "select";
  private wanted = h("input", { id: "wanted", type: "number", min: 1, max: MAX_SEATS, value: 2, inputmode: "numeric" });

  constructor(private api: Api, private showId: string, private map: SeatMapView, private panel: HTMLElement) {}

  dispose(): void {
    window.clearInterval(this.timer);
    this.stopQueue?.();
  }

  selectionChanged(): void {
    if (this.mode !== "select") return;
    const chosen = Array.from(this.map.selected);
    const soldOut = this.map.loaded && this.map.freeCount === 0;
    if (soldOut) {
      this.panel.replaceChildren(
        h("h2", {}, "Sold out"),
        h("p", {}, "Join the queue: when seats come back, the longest waiter gets them held for a few minutes."),
        h("label", { for: "wanted" }, "Seats wanted"), this.wanted,
        h("button", { "data-action": "join-queue", onclick: () => void this.joinQueue() }, "Join the queue"));
      return;
    }
    let total = 0, currency = "";
    for (const label of chosen) {
      const seat = this.map.seat(label);
      if (seat) { total += seat.price; currency = seat.currency; }
    }
    this.panel.replaceChildren(
      h("p", { "data-testid": "selection" }, chosen.length
        ? `Selected ${chosen.length} seat(s): ${chosen.join(", ")} · ${money(total, currency)}`
        : `Select up to ${MAX_SEATS} free seats.`),
      h("button", { "data-action": "reserve", disabled: chosen.length === 0, onclick: () => void this.reserve(chosen) }, "Reserve"),
      this.api.creds.token ? "" : h("p", { class: "muted" }, "Add &token=… to the address to reserve."));
  }

  private busy(text: string): void {
    this.panel.querySelectorAll("button").forEach((b) => (b.disabled = true));
    this.panel.append(h("p", { class: "muted", role: "status" }, text));
  }

  private async reserve(seats: string[]): Promise<void> {
    this.busy("Holding your seats…");
    try {
      const r = (await this.api.request(ReserveDocument, { input: { showId: this.showId, seats } })).reserve;
      switch (r.__typename) {
        case "Reservation":
          this.map.clearSelection();
          return this.holding(r, "hold");
        case "SeatsTaken":
          this.selectionChanged();
          this.panel.prepend(alertBox(`Taken meanwhile: ${r.seats.join(", ")}.${r.alternatives.length ? ` Free nearby: ${r.alternatives.join(", ")}.` : ""}`, "seats-taken"));
          return;
        case "Queued":
          this.map.clearSelection();
          return this.watchQueue();
        default:
          this.selectionChanged();
          this.panel.prepend(alertBox(r.message));
      }
    } catch (e) {
      this.selectionChanged();
      this.panel.prepend(alertBox(describe(e)));
    }
  }

  private joinQueue(): Promise<void> {
    const n = Math.min(MAX_SEATS, Math.max(1, Number(this.wanted.value) || 1));
    return this.reserve(this.map.anyLabels(n));
  }

  /** A hold of ours (a reservation, or a queue offer): countdown, card, pay, cancel. */
  private holding(hold: Hold, kind: "hold" | "offer"): void {
    this.mode = "hold";
    window.clearInterval(this.timer);
    const countdown = h("strong", { "data-testid": kind === "hold" ? "hold-countdown" : "offer-countdown", "aria-live": "off" });
    // &card=tok_… in the address preselects a sandbox card (demos, scripted checks)
    const wanted = fragment().get("card");
    const cards = CARDS.some(([v]) => v === wanted) ? CARDS : wanted?.startsWith("tok_") ? [...CARDS, [wanted, wanted] as [string, string]] : CARDS;
    const card = h("select", { id: "card", "data-testid": "card" }, ...cards.map(([v, l]) => h("option", { value: v, selected: v === wanted }, l)));
    const message = h("div", { "aria-live": "assertive" });
    const pay = h("button", { "data-action": "pay", onclick: () => void this.pay(hold, card.value, message, pay) }, `Pay ${money(hold.amount, hold.currency)}`);
    const until = Date.parse(hold.expiresAt);
    const tick = () => {
      const left = until - Date.now();
      countdown.textContent = mmss(left);
      if (left <= 0) {
        window.clearInterval(this.timer);
        pay.disabled = true;
        message.replaceChildren(alertBox("Your hold has expired; the seats went back on sale.", "hold-expired"));
      }
    };
    tick();
    this.timer = window.setInterval(tick, 250);
    this.panel.replaceChildren(
      h("h2", {}, kind === "hold" ? "Your seats are held" : "Seats came back for you"),
      h("p", {}, `${hold.seats.join(", ")} · ${money(hold.amount, hold.currency)}`),
      h("p", {}, kind === "hold" ? "Time left to pay: " : "This offer lapses in ", countdown),
      h("label", { for: "card" }, "Card"), card,
      pay,
      h("button", { class: "secondary", "data-action": "cancel", onclick: () => void this.cancel(hold) }, "Cancel"),
      message);
  }

  private async pay(hold: Hold, token: string, message: HTMLElement, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    message.replaceChildren(h("p", { class: "muted", role: "status" }, "Paying…"));
    try {
      const idempotencyKey = `web-${hold.id}-${crypto.randomUUID?.() ?? Date.now()}`;
      const r = (await this.api.request(ConfirmDocument, { input: { reservationId: hold.id, paymentToken: token, idempotencyKey } })).confirm;
      if (r.__typename === "Booking") return this.tickets(r);
      const text = r.__typename === "PaymentDeclined"
        ? `Payment declined${r.declineCode ? ` (${r.declineCode})` : ""}: ${r.message} Your seats stay held: try another card.`
        : r.message;
      message.replaceChildren(alertBox(text, "payment-error"));
      if (r.__typename !== "ReservationExpired") button.disabled = false;
    } catch (e) {
      message.replaceChildren(alertBox(describe(e), "payment-error"));
      button.disabled = false;
    }
  }

  private async cancel(hold: Hold): Promise<void> {
    try {
      await this.api.request(CancelReservationDocument, { reservationId: hold.id });
    } catch (e) {
      this.panel.prepend(alertBox(describe(e)));
      return;
    }
    window.clearInterval(this.timer);
    this.mode = "select";
    this.selectionChanged();
  }

  private tickets(b: Booking): void {
    this.mode = "done";
    window.clearInterval(this.timer);
    this.stopQueue?.();
    this.panel.replaceChildren(
      h("h2", {}, "Enjoy the show!"),
      h("p", { "data-testid": "booking" }, `Booking ${b.id} · ${money(b.amount, b.currency)}`),
      h("ul", { class: "tickets" }, ...b.tickets.map((t) => h("li", { "data-testid": "ticket", "data-seat-label": t.seat },
        h("span", { class: "ticket-seat" }, `Seat ${t.seat}`),
        h("div", { class: "qr", "aria-label": `QR code for seat ${t.seat}` }, inlineSvg(t.qrSvg))))));
  }

  /** Sold out: the live queue position and ETA, then the offer when our turn comes. */
  watchQueue(): void {
    if (this.mode === "queue" || this.mode === "done") return;
    this.mode = "queue";
    const position = h("strong", { "data-testid": "queue-position" }, "…");
    const eta = h("span", { "data-testid": "queue-eta" });
    this.panel.replaceChildren(
      h("h2", {}, "You are in the queue"),
      h("p", {}, "Position ", position, " · ", eta),
      h("button", { class: "secondary", "data-action": "leave-queue", onclick: () => void this.leaveQueue() }, "Leave the queue"));
    this.stopQueue?.();
    this.stopQueue = this.api.subscribe(QueueSubscriptionDocument, { showId: this.showId }, {
      next: (d) => this.onQueue(d.queue, position, eta),
      error: (e) => this.panel.append(alertBox(`Queue updates stopped: ${describe(e)}`)),
    });
  }

  private onQueue(q: QueueSubscriptionSubscription["queue"], position: HTMLElement, eta: HTMLElement): void {
    if (q.offer && q.offer.status === "HELD") {
      this.holding(q.offer, "offer");
      return;
    }
    position.textContent = String(q.position);
    eta.textContent = q.etrSeconds > 0 ? `about ${Math.ceil(q.etrSeconds / 60)} min` : "any moment";
  }

  private async leaveQueue(): Promise<void> {
    try {
      await this.api.request(LeaveQueueDocument, { showId: this.showId });
    } catch (e) {
      this.panel.append(alertBox(describe(e)));
      return;
    }
    this.stopQueue?.();
    this.stopQueue = null;
    this.mode = "select";
    this.selectionChanged();
  }
}

window.addEventListener("hashchange", route);
route();
