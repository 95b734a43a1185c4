// GraphiQL from local assets: queries and mutations over HTTP POST, subscriptions over
// graphql-transport-ws. The websocket carries no headers, so the connection_init payload is
// built from the Headers tab (X-API-Key → apiKey, Authorization → authorization).
import { GraphiQL } from "graphiql";
import "graphiql/graphiql.css";
import { getOperationAST, parse } from "graphql";
import { createClient } from "graphql-ws";
import { createElement } from "react";
import { createRoot } from "react-dom/client";

type Params = { query: string; variables?: Record<string, unknown> | null; operationName?: string | null };
type Opts = { headers?: Record<string, string> };

const endpoint = new URL("/graphql", window.location.href);
const wsUrl = endpoint.href.replace(/^http/, "ws");

function readConfig(): { headers?: Record<string, string> } {
  try {
    return JSON.parse(document.getElementById("boxoffice-config")?.textContent || "{}");
  } catch {
    return {};
  }
}

function header(headers: Record<string, string>, name: string): string | undefined {
  const hit = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return hit === undefined ? undefined : headers[hit];
}

function isSubscription(params: Params): boolean {
  try {
    const op = getOperationAST(parse(params.query), params.operationName ?? undefined);
    return op?.operation === "subscription";
  } catch {
    return false; // let the server report the syntax error
  }
}

async function* subscribe(params: Params, headers: Record<string, string>) {
  const client = createClient({
    url: wsUrl,
    lazy: true,
    retryAttempts: 0,
    connectionParams: { apiKey: header(headers, "x-api-key"), authorization: header(headers, "authorization") },
  });
  try {
    yield* client.iterate({ query: params.query, variables: params.variables ?? undefined, operationName: params.operationName ?? undefined });
  } finally {
    await client.dispose();
  }
}

function fetcher(params: Params, opts?: Opts) {
  const headers = { ...(opts?.headers ?? {}) };
  if (isSubscription(params)) return subscribe(params, headers);
  return fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
    body: JSON.stringify(params),
  }).then((r) => r.json());
}

const config = readConfig();
const defaultHeaders = config.headers ? JSON.stringify(config.headers, null, 2) : undefined;
const root = document.getElementById("graphiql");
if (root) {
  root.textContent = "";
  createRoot(root).render(
    createElement(GraphiQL, {
      fetcher: fetcher as never,
      defaultHeaders,
      headers: defaultHeaders,
      shouldPersistHeaders: false,
      defaultQuery: "# Welcome to boxoffice. Try:\n{\n  cities { id name }\n}\n",
    }),
  );
}
