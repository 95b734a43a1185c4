// The live seat map: an SVG of focusable seats kept in step with the seatMap subscription.
// The first event is a snapshot; each later one must be version + 1, else we resubscribe
// (the server sends a fresh snapshot on every new subscription).
import type { Api } from "./api";
import { h, money, s } from "./dom";
import { SeatMapSubscriptionDocument, type SeatMapSubscriptionSubscription, type SeatStatus } from "../gql/graphql";

type Snapshot = NonNullable<SeatMapSubscriptionSubscription["seatMap"]["snapshot"]>;
type Seat = Snapshot["seats"][number];

export const MAX_SEATS = 10;
const PITCH = 28;
const PALETTE = ["#2f7d4f", "#1f5fa8", "#8a3fa0", "#b5651d", "#0f7f86"];

export class SeatMapView {
  readonly root = h("section", { class: "seatmap", "aria-label": "Seat map" });
  private seats = new Map<string, Seat>();
  private nodes = new Map<string, SVGElement>();
  private version = -1;
  private stop: (() => void) | null = null;
  readonly selected = new Set<string>();
  private status = h("p", { class: "muted", "data-testid": "seatmap-status" }, "Connecting…");
  private svgHolder = h("div", { class: "svg-holder" });
  private legend = h("ul", { class: "legend", "aria-label": "Seat categories and prices" });
  private counts = h("p", { class: "counts", "aria-live": "off" });
  onChange: () => void = () => {};

  constructor(private api: Api, private showId: string) {
    this.root.append(this.status, this.legend, h("div", { class: "screen", "aria-hidden": "true" }, "SCREEN"), this.svgHolder, this.counts);
  }

  start(): void {
    this.stop?.();
    this.stop = this.api.subscribe(SeatMapSubscriptionDocument, { showId: this.showId }, {
      next: (d) => this.onEvent(d.seatMap),
      error: (e) => { this.status.textContent = `Live updates stopped: ${e.message}`; },
    });
  }

  dispose(): void {
    this.stop?.();
    this.stop = null;
  }

  get freeCount(): number {
    let n = 0;
    for (const seat of this.seats.values()) if (seat.status === "FREE") n++;
    return n;
  }

  get loaded(): boolean {
    return this.version >= 0;
  }

  seat(label: string): Seat | undefined {
    return this.seats.get(label);
  }

  /** Any labels, for joining a sold-out show's queue (the server only counts them). */
  anyLabels(n: number): string[] {
    return Array.from(this.seats.keys()).slice(0, n);
  }

  clearSelection(): void {
    const was = Array.from(this.selected);
    this.selected.clear();
    for (const label of was) this.paint(label);
    this.onChange();
  }

  private onEvent(ev: SeatMapSubscriptionSubscription["seatMap"]): void {
    if (ev.snapshot) {
      this.render(ev.snapshot);
      return;
    }
    if (ev.version <= this.version) return; // already seen (a snapshot can overtake deltas)
    if (this.version < 0 || ev.version !== this.version + 1) {
      this.status.textContent = "Catching up…";
      this.start(); // a gap: resubscribe for a fresh snapshot
      return;
    }
    this.version = ev.version;
    for (const c of ev.changes) this.setStatus(c.label, c.status);
    this.afterChange();
  }

  private setStatus(label: string, status: SeatStatus): void {
    const seat = this.seats.get(label);
    if (!seat) return;
    seat.status = status;
    if (status !== "FREE") this.selected.delete(label);
    this.paint(label);
  }

  private afterChange(): void {
    let free = 0, held = 0, booked = 0;
    for (const seat of this.seats.values()) {
      if (seat.status === "FREE") free++;
      else if (seat.status === "HELD") held++;
      else booked++;
    }
    this.counts.textContent = `${free} free · ${held} held · ${booked} booked`;
    this.status.textContent = free === 0 ? "Sold out" : "Live";
    this.onChange();
  }

  private render(snap: Snapshot): void {
    this.version = snap.version;
    this.seats = new Map(snap.seats.map((x) => [x.label, { ...x }]));
    for (const label of Array.from(this.selected)) if (this.seats.get(label)?.status !== "FREE") this.selected.delete(label);

    const categories = new Map<string, { low: number; high: number; currency: string; color: string }>();
    for (const seat of snap.seats) {
      const c = categories.get(seat.category);
      if (c) { c.low = Math.min(c.low, seat.price); c.high = Math.max(c.high, seat.price); }
      else categories.set(seat.category, { low: seat.price, high: seat.price, currency: seat.currency, color: PALETTE[categories.size % PALETTE.length] });
    }
    const prices = (c: { low: number; high: number; currency: string }) =>
      c.low === c.high ? money(c.low, c.currency) : `${money(c.low, c.currency)}–${money(c.high, c.currency)}`;
    this.legend.replaceChildren(
      ...Array.from(categories, ([name, c]) => h("li", {}, h("span", { class: "swatch", style: `background:${c.color}` }), `${name} ${prices(c)}`)),
      h("li", {}, h("span", { class: "swatch held" }), "Held"),
      h("li", {}, h("span", { class: "swatch booked" }), "Booked"),
      h("li", {}, h("span", { class: "swatch selected" }), "Your selection"),
    );

    const rows = Array.from(new Set(snap.seats.map((x) => x.row)));
    const ys = new Map(rows.map((r, i) => [r, i]));
    const maxX = Math.max(1, ...snap.seats.map((x) => x.x));
    const width = (maxX + 2) * PITCH, height = (rows.length + 0.5) * PITCH;
    const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, class: "seats", style: `max-width:${Math.round(width * 1.4)}px`, role: "group", "aria-label": `${snap.seats.length} seats; use Tab to move and Enter or Space to select` });
    rows.forEach((r, i) => svg.append(s("text", { x: 4, y: (i + 0.75) * PITCH, class: "rowname", "aria-hidden": "true" }, r)));
    this.nodes.clear();
    for (const seat of snap.seats) {
      const color = categories.get(seat.category)?.color ?? PALETTE[0];
      const g = s("g", {
        "data-seat": seat.label, role: "button", tabindex: 0, style: `--cat:${color}`,
        transform: `translate(${(seat.x + 1) * PITCH} ${(ys.get(seat.row) ?? 0) * PITCH})`,
        onclick: () => this.toggle(seat.label),
        onkeydown: ((e: KeyboardEvent) => {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); this.toggle(seat.label); }
        }) as EventListener,
      },
      s("rect", { x: 3, y: 3, width: PITCH - 6, height: PITCH - 6, rx: 5 }),
      s("title", {}, seat.label));
      this.nodes.set(seat.label, g);
      svg.append(g);
      this.paint(seat.label);
    }
    this.svgHolder.replaceChildren(svg);
    this.afterChange();
  }

  private paint(label: string): void {
    const seat = this.seats.get(label), g = this.nodes.get(label);
    if (!seat || !g) return;
    const chosen = this.selected.has(label);
    g.setAttribute("data-status", seat.status);
    g.setAttribute("aria-pressed", String(chosen));
    g.setAttribute("aria-disabled", String(seat.status !== "FREE"));
    const word = seat.status === "FREE" ? (chosen ? "selected" : "free") : seat.status === "HELD" ? "held" : "booked";
    g.setAttribute("aria-label", `Seat ${seat.label}, ${seat.category}, ${money(seat.price, seat.currency)}, ${word}`);
  }

  private toggle(label: string): void {
    const seat = this.seats.get(label);
    if (!seat || seat.status !== "FREE") return;
    if (this.selected.has(label)) this.selected.delete(label);
    else if (this.selected.size < MAX_SEATS) this.selected.add(label);
    else { this.status.textContent = `At most ${MAX_SEATS} seats per booking`; return; }
    this.paint(label);
    this.onChange();
  }
}
