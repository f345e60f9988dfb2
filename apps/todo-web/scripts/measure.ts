// `tsx apps/todo-web/scripts/measure.ts '{"edits":200,"todos":1000}'`: the web
// app's figures in Chromium, printed as one JSON line (the bench's `web`
// group runs this). Two browser profiles on one kalphite-server:
// - click → rendered elsewhere: a todo's checkbox clicked in profile A, until
//   profile B's DOM shows it (a MutationObserver on B's list stamps the time;
//   both stamps are performance.timeOrigin + now(), one machine's clock);
// - first load with `todos` todos stored: a new page in a profile whose
//   IndexedDB holds them, from navigation start until the list shows them all
//   (served from the snapshot, before the server's answer), and from an empty
//   profile (the list filled by the first pull).
import type { Page } from "playwright-core";
import { buildApp, ensureServerBuilt, launchChromium, serveApp, startSyncServer, tempDir } from "../test/harness";

const params = JSON.parse(process.argv[2] ?? "{}") as { edits?: number; todos?: number };
const edits = params.edits ?? 200;
const todos = params.todos ?? 1000;

const outDir = tempDir("kalphite-web-measure-build-");
await Promise.all([buildApp(outDir), ensureServerBuilt()]);
const server = await startSyncServer(tempDir("kalphite-web-measure-server-"));
const app = await serveApp(outDir);
const browser = await launchChromium();
const url = `${app.url}/?server=${encodeURIComponent(server.url)}`;

// tsx keeps function names with a `__name` helper that pages do not have: give them one.
const newPage = async () => {
  const context = await browser.newContext();
  await context.addInitScript("globalThis.__name = (f) => f;");
  return context.newPage();
};

const ready = (page: Page) => page.waitForSelector('[data-connection="connected"]', { timeout: 60_000 });
const settled = (page: Page) => page.waitForSelector('[data-connection="connected"][data-pending="0"]', { timeout: 120_000 });

try {
  const a = await newPage();
  const b = await newPage();
  await Promise.all([a.goto(url), b.goto(url)]);
  await Promise.all([ready(a), ready(b)]);
  for (const page of [a, b]) await page.getByLabel("Show").selectOption("all");

  // Ten todos to toggle.
  await a.evaluate(async () => {
    const app = (window as any).__kalphiteTodo;
    for (let i = 0; i < 10; i++) void app.client.mutate.addTodo({ id: `lat-${i}`, title: `latency ${i}`, now: Date.now() });
  });
  await b.waitForFunction(() => document.querySelectorAll('li[data-id^="lat-"]').length === 10);

  const latencies: number[] = [];
  for (let i = 0; i < edits; i++) {
    const id = `lat-${i % 10}`;
    const done = Math.floor(i / 10) % 2 === 0; // the state after this click
    const seen = b.evaluate(
      ({ id, done }) =>
        new Promise<number>((resolve) => {
          const li = () => document.querySelector(`li[data-id="${id}"]`);
          const check = () => (li()?.classList.contains("done") ?? false) === done;
          const observer = new MutationObserver(() => {
            if (!check()) return;
            observer.disconnect();
            resolve(performance.timeOrigin + performance.now());
          });
          observer.observe(document.querySelector("ul.todos")!, { subtree: true, attributes: true, childList: true });
        }),
      { id, done },
    );
    await b.evaluate(() => undefined); // the observer is installed before the click
    const clicked = await a.evaluate((id) => {
      const t = performance.timeOrigin + performance.now();
      (document.querySelector(`li[data-id="${id}"] input[type=checkbox]`) as HTMLInputElement).click();
      return t;
    }, id);
    latencies.push((await seen) - clicked);
  }
  await settled(a);

  // 1,000 todos stored in profile A (through the app, so the snapshot and the server hold them).
  await a.evaluate(async (n) => {
    const app = (window as any).__kalphiteTodo;
    for (let i = 0; i < n; i++) void app.client.mutate.addTodo({ id: `load-${i}`, title: `stored todo ${i}`, now: Date.now() });
    await app.client.whenIdle();
    await app.snapshotFlushed();
  }, todos);
  await settled(a);
  const total = todos + 10;
  const firstLoad = async (page: Page) => {
    await page.addInitScript((count) => {
      const stamp = () => {
        const items = document.querySelectorAll("ul.todos li").length;
        if (items >= count && (window as any).__listShown === undefined) (window as any).__listShown = performance.now();
      };
      new MutationObserver(stamp).observe(document, { subtree: true, childList: true });
    }, total);
    await page.goto(`${url}`);
    // The default filter shows open todos: all of them are open except the toggled ones, which ended open.
    await page.waitForFunction(() => (window as any).__listShown !== undefined, undefined, { timeout: 120_000 });
    return page.evaluate(() => (window as any).__listShown as number);
  };
  const stored = await firstLoad(await a.context().newPage());
  const fresh = await firstLoad(await newPage());

  latencies.sort((x, y) => x - y);
  const pick = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  console.log(JSON.stringify({ clickP50: pick(0.5), clickP99: pick(0.99), edits, todos: total, loadStored: stored, loadFresh: fresh }));
} finally {
  await browser.close();
  await app.close();
  await server.stop();
}
