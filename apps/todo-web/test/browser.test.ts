import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { appDir, buildApp, ensureServerBuilt, launchChromium, serveApp, startSyncServer, tempDir, todoTitles, type SyncServer } from "./harness";

let browser: Browser;
let app: Awaited<ReturnType<typeof serveApp>>;
let server: SyncServer;
let dataDir: string;
const contexts: BrowserContext[] = [];

/** Polls until the assertion holds (UI and sync are asynchronous), up to `timeout` ms. */
const poll = <T>(fn: () => Promise<T> | T, timeout = 15_000) => expect.poll(fn, { timeout, interval: 50 });

beforeAll(async () => {
  const outDir = tempDir("kalphite-todo-web-build-");
  dataDir = tempDir("kalphite-todo-web-server-");
  await Promise.all([buildApp(outDir), ensureServerBuilt()]);
  [server, app, browser] = await Promise.all([startSyncServer(dataDir), serveApp(outDir), launchChromium()]);
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  await app?.close();
  await server?.stop();
});

/** A new browser profile (its own IndexedDB) with the app open against `server`. */
async function openApp(): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 760 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (error) => console.error("[page error]", error));
  await page.goto(`${app.url}/?server=${encodeURIComponent(server.url)}`);
  await poll(() => syncState(page)).toMatchObject({ connection: "connected" });
  return { context, page };
}

function syncState(page: Page) {
  return page
    .getByRole("status")
    .evaluate((el) => ({ connection: el.getAttribute("data-connection"), pending: Number(el.getAttribute("data-pending")) }))
    .catch(() => ({ connection: "not rendered", pending: -1 }));
}

/** Adds a todo through the form, with the keyboard only (type, Enter). */
async function addTodo(page: Page, title: string, extra: { due?: string; project?: string; tags?: string } = {}) {
  const form = page.getByRole("form", { name: "Add a todo" });
  if (extra.due) await form.getByLabel("Due").fill(extra.due);
  if (extra.project) await form.getByLabel("Project").fill(extra.project);
  if (extra.tags) await form.getByLabel("Tags").fill(extra.tags);
  await form.getByLabel("Title").fill(title);
  await form.getByLabel("Title").press("Enter");
}

const synced = (page: Page) => poll(() => syncState(page)).toEqual({ connection: "connected", pending: 0 });

describe("the todo app in Chromium", () => {
  it("adds todos (keyboard only) with due dates, projects and tags; they are still there after a reload", async () => {
    const { page } = await openApp();
    await addTodo(page, "Buy milk", { due: "2030-01-15", project: "Home", tags: "errands, shop" });
    await addTodo(page, "Write report", { project: "Work" });
    await addTodo(page, "Call Ada ✨");
    await poll(() => todoTitles(page)).toEqual(["Buy milk", "Write report", "Call Ada ✨"]);
    await poll(() => page.locator("li.todo").first().textContent()).toMatch(/due 2030-01-15.*Home.*#errands.*#shop/);
    await synced(page);

    // Filters: by project, by tag, done.
    await page.getByLabel("Filter by project").selectOption("Work");
    await poll(() => todoTitles(page)).toEqual(["Write report"]);
    await page.getByLabel("Filter by project").selectOption("");
    await page.getByLabel("Filter by tag").selectOption("shop");
    await poll(() => todoTitles(page)).toEqual(["Buy milk"]);
    await page.getByLabel("Filter by tag").selectOption("");
    // Done with the keyboard: focus the checkbox, Space.
    await page.getByLabel("Done: Call Ada ✨").focus();
    await page.keyboard.press("Space");
    await poll(() => todoTitles(page)).toEqual(["Buy milk", "Write report"]);
    await page.getByLabel("Show").selectOption("done");
    await poll(() => todoTitles(page)).toEqual(["Call Ada ✨"]);
    await page.getByLabel("Show").selectOption("all");
    await synced(page);

    const shot = join(appDir, "test-output", "main.png");
    mkdirSync(join(appDir, "test-output"), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`screenshot of the main view: ${shot}`);

    await page.reload();
    await poll(() => todoTitles(page)).toEqual(["Buy milk", "Write report"]); // the filter is UI state: back to "open"
    await page.getByLabel("Show").selectOption("all");
    await poll(() => todoTitles(page)).toEqual(["Buy milk", "Write report", "Call Ada ✨"]);
    await poll(() => page.getByLabel("Done: Call Ada ✨").isChecked()).toBe(true);
  });

  it("two browser profiles on one server see each other's adds, edits, completions and deletes", async () => {
    const a = await openApp();
    const b = await openApp();
    // b started from the server's state: the first test's todos are there too.
    await poll(() => todoTitles(b.page)).toContain("Buy milk");
    await addTodo(a.page, "Shared from A");
    await poll(() => todoTitles(b.page)).toContain("Shared from A");

    // Edit in B (keyboard: Edit button, change the title, Enter).
    await b.page.getByRole("button", { name: "Edit Shared from A" }).click();
    const title = b.page.getByRole("form", { name: "Edit Shared from A" }).getByLabel("Title");
    await title.fill("Edited in B");
    await title.press("Enter");
    await poll(() => todoTitles(a.page)).toContain("Edited in B");
    await a.page.getByLabel("Done: Edited in B").click();
    await poll(() => todoTitles(b.page)).not.toContain("Edited in B"); // b shows open todos
    await b.page.getByLabel("Show").selectOption("all");
    await poll(() => b.page.getByLabel("Done: Edited in B").isChecked()).toBe(true);
    await b.page.getByRole("button", { name: "Delete Edited in B" }).click();
    await a.page.getByLabel("Show").selectOption("all");
    await poll(() => todoTitles(a.page)).not.toContain("Edited in B");
    await a.context.close();
    await b.context.close();
  });

  it("with the server stopped, edits in both profiles converge once it restarts", async () => {
    const a = await openApp();
    const b = await openApp();
    await addTodo(a.page, "Before the outage");
    await poll(() => todoTitles(b.page)).toContain("Before the outage");
    await synced(a.page);
    await synced(b.page);

    const port = server.port;
    await server.stop();
    try {
      await addTodo(a.page, "Offline in A");
      await addTodo(b.page, "Offline in B");
      await b.page.getByRole("button", { name: "Edit Before the outage" }).click();
      const title = b.page.getByRole("form", { name: "Edit Before the outage" }).getByLabel("Title");
      await title.fill("Renamed offline in B");
      await title.press("Enter");
      // The failed push shows: not connected, operations pending.
      await poll(() => syncState(a.page)).toEqual({ connection: "connecting", pending: 1 });
      // Visible at once, counted as pending, and kept across a reload while offline.
      await poll(() => todoTitles(a.page)).toContain("Offline in A");
      await poll(async () => (await syncState(b.page)).pending).toBe(2);
      await b.page.reload();
      await poll(() => todoTitles(b.page)).toEqual(expect.arrayContaining(["Offline in B", "Renamed offline in B"]));
      await poll(() => syncState(b.page)).toMatchObject({ pending: 2 });
    } finally {
      server = await startSyncServer(dataDir, port);
    }
    const expected = ["Offline in A", "Offline in B", "Renamed offline in B"];
    await poll(() => todoTitles(a.page), 30_000).toEqual(expect.arrayContaining(expected));
    await poll(() => todoTitles(b.page), 30_000).toEqual(expect.arrayContaining(expected));
    await synced(a.page);
    await synced(b.page);
    expect(await todoTitles(a.page)).toEqual(await todoTitles(b.page));
    expect(await todoTitles(a.page)).not.toContain("Before the outage");
    await a.context.close();
    await b.context.close();
  });

  it("an operation the server refuses shows its error and is rolled back", async () => {
    const a = await openApp();
    const b = await openApp();
    await addTodo(a.page, "Doomed");
    await poll(() => todoTitles(b.page)).toContain("Doomed");
    await synced(a.page);

    // A loses the network and edits; meanwhile B deletes the todo: A's edit will be refused.
    await a.context.setOffline(true);
    await a.page.getByRole("button", { name: "Edit Doomed" }).click();
    const title = a.page.getByRole("form", { name: "Edit Doomed" }).getByLabel("Title");
    await title.fill("Edited while offline");
    await title.press("Enter");
    await poll(() => todoTitles(a.page)).toContain("Edited while offline");
    await poll(() => syncState(a.page)).toEqual({ connection: "connecting", pending: 1 });
    await b.page.getByRole("button", { name: "Delete Doomed" }).click();
    await synced(b.page);

    await a.context.setOffline(false);
    await poll(() => a.page.getByRole("alert").textContent(), 30_000).toMatch(/refused editTodo.*no todo with id/);
    await poll(() => todoTitles(a.page)).not.toContain("Edited while offline");
    await synced(a.page);
    expect(await todoTitles(a.page)).not.toContain("Doomed");
    await a.context.close();
    await b.context.close();
  });
});
