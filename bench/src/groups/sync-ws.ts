import { maxValue } from "../harness/targets";
import type { GroupSpec, RunOptions } from "../harness/types";

/** Sizes of the sync-ws workloads. */
export interface SyncWsParams {
  /** Clients in the one room. */
  readonly clients: number;
  /** Changes sent one at a time for the latency percentiles. */
  readonly latencySamples: number;
  /** Changes sent at once (spread over the clients) for the relay rate. */
  readonly burst: number;
}

const fmt = (n: number) => n.toLocaleString("en-US");

/**
 * Group: `@kalphite/sync-ws` on loopback, 100 clients in one room: change to
 * visible in every other client (p50, p99), changes relayed per second, and
 * the server's memory per connection — against a raw `ws` broadcast server
 * measured in the same run (the floor: no validation, storage or clocks).
 */
export function syncWsGroup(options: RunOptions): GroupSpec {
  const params: SyncWsParams = options.quick ? { clients: 20, latencySamples: 40, burst: 200 } : { clients: 100, latencySamples: 200, burst: 2_000 };
  return {
    id: "sync-ws",
    title: `sync-ws — ${params.clients} clients in one room on loopback`,
    impls: [
      { id: "raw-ws", label: "raw ws broadcast (floor)" },
      { id: "sync-ws", label: "Kalphite sync-ws (memory storage)" },
      { id: "sync-ws-pglite", label: "Kalphite sync-ws (PGlite dataDir)" },
    ],
    rounds: options.rounds ?? (options.quick ? 1 : 3),
    jobs: [
      { impl: "raw-ws", params: { ...params } },
      { impl: "sync-ws", params: { ...params } },
      { impl: "sync-ws-pglite", params: { ...params } },
    ],
    workloads: [
      { id: "latency-p50", label: `change → visible in all ${params.clients - 1} other clients, p50 of ${fmt(params.latencySamples)}`, unit: "ms", baseline: "raw-ws" },
      { id: "latency-p99", label: `change → visible in all ${params.clients - 1} other clients, p99`, unit: "ms", baseline: "raw-ws" },
      { id: "relay", label: `${fmt(params.burst)} changes at once, until every other client has each`, unit: "ms", ops: params.burst, perOp: "rate", baseline: "raw-ws" },
      { id: "memory", label: "server memory per connection (heap + external, idle, after GC)", unit: "B/entity", baseline: "raw-ws" },
    ],
    targets: [maxValue("latency-p50", "sync-ws", 5, "ms"), maxValue("latency-p99", "sync-ws", 20, "ms")],
    notes: [
      "The server runs in its own process (forked by the child), the clients in the child: two processes, two cores.",
      "raw ws broadcast = a `ws` server relaying each text frame to the room's other sockets; its clients JSON.parse each frame. The least a relay can do.",
      "sync-ws = createWebSocketSyncServer (zod-validated frames, vector-clock merge, apply-once by messageId, ack, storage) and NetworkSyncEngine clients, each bound to a KalphiteStore with bindStore: visible = the store's subscriber saw the remote change.",
      "latency: one change at a time, from the clients in turn; the time until the last of the other clients has it. relay: every client sends its share at once; changes/s = burst / time until all have arrived everywhere.",
      "Targets from the issue: p50 ≤ 5 ms, p99 ≤ 20 ms (Electric reports 6 ms write-to-client).",
    ],
  };
}
