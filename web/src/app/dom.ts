// A tiny hyperscript: enough DOM building for this app without a framework.
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;
type Child = Node | string | null | undefined | false;

const SVG_NS = "http://www.w3.org/2000/svg";

function build<E extends Element>(el: E, attrs: Attrs, children: Child[]): E {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]) {
  return build(document.createElement(tag), attrs, children);
}

export function s(tag: string, attrs: Attrs = {}, ...children: Child[]): SVGElement {
  return build(document.createElementNS(SVG_NS, tag) as SVGElement, attrs, children);
}

export function money(minor: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

/** m:ss until `until` (ms since epoch), never negative. */
export function mmss(msLeft: number): string {
  const total = Math.max(0, Math.ceil(msLeft / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

/** The server's QR code SVG as a DOM node (it comes without xmlns: parsed as HTML, as if
 * inline in the page), with anything active stripped and a viewBox so that CSS can scale it. */
export function inlineSvg(markup: string): Element {
  const tpl = document.createElement("template");
  tpl.innerHTML = markup;
  const svg = tpl.content.querySelector("svg");
  if (!svg) return h("span", {}, "(QR code unavailable)");
  svg.querySelectorAll("script, foreignObject").forEach((n) => n.remove());
  for (const el of [svg, ...Array.from(svg.querySelectorAll("*"))])
    for (const a of Array.from(el.attributes)) if (a.name.toLowerCase().startsWith("on")) el.removeAttribute(a.name);
  const w = svg.getAttribute("width"), ht = svg.getAttribute("height");
  if (!svg.hasAttribute("viewBox") && w && ht) svg.setAttribute("viewBox", `0 0 ${parseFloat(w)} ${parseFloat(ht)}`);
  svg.setAttribute("role", "img");
  return svg;
}
