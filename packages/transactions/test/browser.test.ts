import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { chromium } from "playwright-core";

// esbuild comes with tsup (a root devDependency); resolve it through tsup.
const require = createRequire(import.meta.url);
interface EsbuildLike {
  build(options: Record<string, unknown>): Promise<{ outputFiles: Array<{ text: string }> }>;
}
const esbuild = createRequire(require.resolve("tsup"))("esbuild") as EsbuildLike;

interface PersistCall {
  id: string;
  attempt: number;
  changes: unknown;
  respond: (status: number) => void;
}

let bundle = "";
let server: ReturnType<typeof createServer>;
let base = "";
let browser: Browser;
const persists: PersistCall[] = [];
let onPersist: (() => void) | undefined;

beforeAll(async () => {
  const built = await esbuild.build({
    entryPoints: [fileURLToPath(new URL("./browser/page.ts", import.meta.url))],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)),
    external: ["@electric-sql/pglite"],
    logLevel: "silent",
  });
  bundle = built.outputFiles[0]!.text;
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith("/persist")) {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        const parsed = JSON.parse(body) as Omit<PersistCall, "respond">;
        persists.push({ ...parsed, respond: (status) => void (res.headersSent || res.writeHead(status).end()) });
        onPersist?.();
      });
      return;
    }
    if (req.url === "/page.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
      return;
    }
    res.writeHead(200, { "content-type": "text/html" }).end(`<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>`);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  base = `http://127.0.0.1:${address.port}`;
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
});

afterAll(async () => {
  for (const p of persists) p.respond(503);
  await browser?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

const nextPersist = (count: number) =>
  new Promise<void>((resolve) => {
    if (persists.length >= count) return resolve();
    onPersist = () => {
      if (persists.length >= count) resolve();
    };
  });

describe("in Chromium", () => {
  it("a transaction persisted in IndexedDB survives a page reload and is retried", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/?mutate`);
    // The first persist reaches the server, which never answers: the page "closes" mid-persist.
    await nextPersist(1);
    const first = persists[0]!;
    expect(first.attempt).toBe(1);
    expect(first.changes).toEqual({ t1: { title: "written in the browser \u{1F680}" } });
    await page.waitForFunction(() => (globalThis as any).__kalphite?.transactions?.[0]?.state === "persisting");
    // …and the "persisting" record is in IndexedDB (writes are batched, so wait for it to land).
    const storedState = () =>
      page.evaluate(
        () =>
          new Promise<string | undefined>((resolve, reject) => {
            const open = (globalThis as any).indexedDB.open("kalphite-transactions");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const all = open.result.transaction("transactions").objectStore("transactions").getAll();
              all.onsuccess = () => {
                open.result.close();
                resolve(all.result[0]?.transaction?.state);
              };
              all.onerror = () => reject(all.error);
            };
          }),
      );
    await expect.poll(storedState).toBe("persisting");

    // Reload: everything in the page is new, only IndexedDB is kept. (The page mutates only
    // when it holds no transaction, so the one seen below is the recovered one.)
    await page.reload();
    await nextPersist(2);
    const retry = persists[persists.length - 1]!;
    expect(retry.id).toBe(first.id);
    expect(retry.attempt).toBeGreaterThanOrEqual(2);
    // Before the server answers, the optimistic update is back on top of the synced data.
    const during = await page.evaluate(() => (globalThis as any).__kalphite);
    expect(during.data.t1.title).toBe("written in the browser \u{1F680}");
    expect(during.transactions).toHaveLength(1);
    expect(during.transactions[0].attempts[0].error.code).toBe("INTERRUPTED");
    retry.respond(200);
    await page.waitForFunction(() => (globalThis as any).__kalphite?.transactions?.[0]?.state === "completed");
    const after = await page.evaluate(() => (globalThis as any).__kalphite);
    expect(after.transactions[0].id).toBe(first.id);
    expect(after.transactions[0].changes).toEqual([{ title: "written in the browser \u{1F680}" }]);
    await context.close();
  });
});
