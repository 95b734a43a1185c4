// Subscribe to a show's seat map with the graphql-ws client and print events as JSON lines.
// Usage: node client.mjs WS_URL API_KEY SHOW_ID [COUNT]   (exits 0 after COUNT events, default 1)
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, apiKey, showId, count = "1"] = process.argv.slice(2);
const wanted = Number(count);
const query = `subscription S($showId: ID!) { seatMap(showId: $showId) {
  showId version changes { label status }
  snapshot { showId version free held booked seats { label status } } } }`;

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { apiKey },
  retryAttempts: 0,
  lazy: true,
});

const timer = setTimeout(() => {
  console.error("timed out waiting for events");
  process.exit(2);
}, 15000);

let seen = 0;
try {
  for await (const result of client.iterate({ query, variables: { showId } })) {
    if (result.errors) {
      console.error(JSON.stringify(result.errors));
      process.exit(1);
    }
    console.log(JSON.stringify(result.data));
    seen += 1;
    if (seen >= wanted) break; // ends the iteration: the client sends `complete`
  }
} catch (err) {
  // a rejected connection_init surfaces as a CloseEvent (e.g. code 4403)
  console.error(JSON.stringify({ closeCode: err?.code ?? null, reason: err?.reason ?? String(err) }));
  process.exit(3);
}
clearTimeout(timer);
await client.dispose();
process.exit(0);
