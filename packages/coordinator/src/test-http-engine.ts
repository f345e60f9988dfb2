/**
 * Test helper: the smallest engine that speaks the real operation-sync wire
 * (`POST /sync/operations`, `POST /sync/state`), with every push and pull
 * answer handed back as a delivery the test applies when it likes — so a
 * test can reorder, delay and duplicate responses and notifications.
 */
import type { Entity } from "@kalphite/store";
import type { EnginePatch, OptimisticEngine } from "./optimistic-client";

interface Op {
  id: number;
  name: string;
  args: any[];
  clientId: string;
  timestamp: number;
  pushed: boolean;
  settled: boolean;
}

const post = async (url: string, body: unknown): Promise<any> => {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};

export class TestHttpEngine implements OptimisticEngine {
  readonly #base: string;
  readonly clientId: string;
  readonly #ops: Op[] = [];
  #next = 0;
  #version = "";
  #known = 0;
  readonly #patch = new Set<(p: EnginePatch) => void>();
  readonly #failed = new Set<(d: { operation: { id: number; clientId?: string }; error: string }) => void>();

  constructor(baseUrl: string, clientId: string) {
    this.#base = baseUrl;
    this.clientId = clientId;
  }

  executeOperation(name: string, args: any[]): Promise<void> {
    this.#ops.push({ id: ++this.#next, name, args, clientId: this.clientId, timestamp: Date.now(), pushed: false, settled: false });
    return Promise.resolve();
  }
  getPendingOperations() {
    return this.#ops.filter((o) => !o.settled);
  }
  onStatePatch(handler: (p: EnginePatch) => void) {
    this.#patch.add(handler);
  }
  onOperationFailed(handler: (d: { operation: { id: number; clientId?: string }; error: string }) => void) {
    this.#failed.add(handler);
  }

  /** Pushes every operation not pushed yet, in order; resolves with the delivery of the answer. */
  async push(): Promise<() => void> {
    const batch = this.#ops.filter((o) => !o.pushed);
    if (batch.length === 0) return () => {};
    for (const o of batch) o.pushed = true;
    const response = await post(`${this.#base}/sync/operations`, { operations: batch.map(({ id, name, args, clientId, timestamp }) => ({ id, name, args, clientId, timestamp })) });
    return () => {
      for (const c of response.confirmations as { operationId: number; success: boolean; error?: string }[]) {
        if (!c.success) this.#fail(c.operationId, c.error ?? "refused");
      }
    };
  }

  /** Pulls the state since the applied version; resolves with the delivery (stale answers are dropped on delivery). */
  async pull(): Promise<() => void> {
    const response = await post(`${this.#base}/sync/state`, { stateVersion: this.#version, clientId: this.clientId, confirmedOperationId: this.#known });
    return () => {
      const version = Number(response.stateVersion);
      if (!response.reset && this.#version !== "" && version <= Number(this.#version)) return;
      if (this.#version !== "" && version < Number(this.#version)) return;
      this.#version = response.stateVersion;
      for (const f of (response.failedOperations ?? []) as { operationId: number; error: string }[]) this.#fail(f.operationId, f.error);
      const last = (response.lastOperationIds ?? {})[this.clientId] ?? 0;
      const operations: { id: number; clientId: string }[] = [];
      for (const o of this.#ops) {
        if (!o.settled && o.id <= last) {
          o.settled = true;
          operations.push({ id: o.id, clientId: o.clientId });
        }
      }
      this.#known = Math.max(this.#known, last);
      const patch: EnginePatch = { operations, entities: response.entities as Entity[], deleted: response.deleted ?? [], reset: response.reset === true };
      for (const h of this.#patch) h(patch);
    };
  }

  #fail(id: number, error: string) {
    const op = this.#ops.find((o) => o.id === id);
    if (!op || op.settled) return;
    op.settled = true;
    for (const h of this.#failed) h({ operation: { id, clientId: this.clientId }, error });
  }
}
