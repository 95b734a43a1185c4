// A cheap load generator for benchmarks/fanout*.py: N seatMap subscriptions over raw
// graphql-transport-ws (the `ws` package, permessage-deflate as browsers negotiate it), one
// Node process, arrival stamped on the wall clock the coordinator also uses.
// Usage: node fanout.mjs URLS(comma-separated) API_KEY SHOW_ID N
// FANOUT_DEFLATE=0 in the environment: do not offer permessage-deflate (a what-if: browsers do)
// Prints "ready" once every subscription has its snapshot; on "stop" (stdin) prints the
// arrivals of delta events as one JSON line [[version, unixSeconds], ...] and exits.
import { createInterface } from "node:readline";
import WebSocket from "ws";

const [urlList, apiKey, showId, count] = process.argv.slice(2);
const urls = urlList.split(",");
const n = Number(count);
const query = `subscription S($showId: ID!) { seatMap(showId: $showId) {
  version changes { label status } snapshot { version } } }`;
const now = () => (performance.timeOrigin + performance.now()) / 1000;

const arrivals = [];
const sockets = [];
let snapshotted = 0;

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(urls[i % urls.length], "graphql-transport-ws",
                             { perMessageDeflate: process.env.FANOUT_DEFLATE !== "0" });
    sockets.push(ws);
    let first = true;
    ws.on("open", () => ws.send(JSON.stringify({ type: "connection_init", payload: { apiKey } })));
    ws.on("error", reject);
    ws.on("message", (data) => {
      const t = now();
      const msg = JSON.parse(data);
      if (msg.type === "connection_ack") {
        ws.send(JSON.stringify({ id: "1", type: "subscribe",
                                 payload: { query, variables: { showId } } }));
      } else if (msg.type === "next") {
        const event = msg.payload.data.seatMap;
        if (first) {
          first = false;
          snapshotted += 1;
          resolve();
        } else if (event.snapshot === null) {
          arrivals.push([event.version, t]);
        }
      } else if (msg.type === "ping") {
        ws.send('{"type":"pong"}');
      } else if (msg.type === "error") {
        reject(new Error(JSON.stringify(msg.payload)));
      }
    });
  });
}

// connect in waves of 50, as the Python client does
for (let i = 0; i < n; i += 50) {
  await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => open(i + k)));
}
await new Promise((r) => setTimeout(r, 1000)); // every snapshot delivered first
console.log("ready");
const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (line.trim() === "stop") break;
}
for (const ws of sockets) ws.terminate();
// exit only once the (large) line is flushed: a pipe write is asynchronous in Node
process.stdout.write(JSON.stringify(arrivals) + "\n", () => process.exit(0));
