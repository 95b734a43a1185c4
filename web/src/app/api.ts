// The two ways the app talks to boxoffice: HTTP POST for queries and mutations, one
// graphql-transport-ws connection (graphql-ws) for the live seat map and the queue.
import { createClient, type Client } from "graphql-ws";
import type { TypedDocumentString } from "../gql/graphql";

export type Credentials = { apiKey: string; token: string };

export class GraphQLFailure extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

type Result<T> = { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };

function failure(errors: NonNullable<Result<unknown>["errors"]>): GraphQLFailure {
  const first = errors[0];
  return new GraphQLFailure(first.message, first.extensions?.code);
}

export class Api {
  private ws: Client | null = null;

  constructor(readonly creds: Credentials) {}

  async request<T, V>(doc: TypedDocumentString<T, V>, variables: V): Promise<T> {
    const headers: Record<string, string> = { "Content-Type": "application/json", "X-API-Key": this.creds.apiKey };
    if (this.creds.token) headers.Authorization = `Bearer ${this.creds.token}`;
    const resp = await fetch("/graphql", { method: "POST", headers, body: JSON.stringify({ query: doc.toString(), variables }) });
    let body: Result<T>;
    try {
      body = await resp.json();
    } catch {
      throw new GraphQLFailure(`The server answered ${resp.status}`);
    }
    if (body.errors?.length) throw failure(body.errors);
    if (!body.data) throw new GraphQLFailure(`The server answered ${resp.status}`);
    return body.data;
  }

  private client(): Client {
    if (!this.ws) {
      const url = new URL("/graphql", window.location.href).href.replace(/^http/, "ws");
      const params: Record<string, string> = { apiKey: this.creds.apiKey };
      if (this.creds.token) params.authorization = `Bearer ${this.creds.token}`;
      this.ws = createClient({ url, connectionParams: params, lazy: true, retryAttempts: Infinity, keepAlive: 10_000 });
    }
    return this.ws;
  }

  /** Subscribe; returns the function that stops it. */
  subscribe<T, V>(doc: TypedDocumentString<T, V>, variables: V, on: {
    next: (data: T) => void; error?: (e: GraphQLFailure) => void; complete?: () => void;
  }): () => void {
    return this.client().subscribe<T>(
      { query: doc.toString(), variables: variables as Record<string, unknown> },
      {
        next: (r) => {
          if (r.errors?.length) on.error?.(failure(r.errors as never));
          else if (r.data) on.next(r.data as T);
        },
        error: (e) => on.error?.(new GraphQLFailure(e instanceof Error ? e.message : "Connection lost")),
        complete: () => on.complete?.(),
      },
    );
  }
}
