// The reader against hostile mail (tests/e2e/hostile, delivered by run.sh), in the built
// app over WebDriver. Every URL in the corpus points at a loopback HTTP server run here,
// so whatever the reader lets out is seen. Checked:
//   - no script ran: the payloads would post to the app window, create a contact
//     "pwned-…@evil.test" through Tauri's IPC, retitle the window, request /leak/… or
//     navigate (which would raise the link confirmation); none of that happens;
//   - no request leaves before consent; after "Show images" only /img/ images load;
//   - the frame is sandboxed without scripts and its origin is opaque: the app cannot
//     reach into it and it cannot reach the app (no Tauri API);
//   - a link click is never followed inside the app: it raises a confirmation showing
//     the real target (and that the link text lies), and nothing is requested;
//   - "Always for this sender" is remembered and can be revoked; cid: images are embedded.
//   E2E_HOSTILE_DATA_DIR  the synced data folder of hostile@rapport.test
//   E2E_HOSTILE_COUNT     how many corpus messages it holds
//   E2E_LEAK_PORT         the port the corpus URLs point at
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, inApp, requireEnv, screenshot } from "./support.mjs";

/** Time given to anything that would happen after a message is shown (scripts, loads, refresh). */
const QUIET_MS = 2_000;

const PIXEL = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

/** A loopback server that records every request and answers /img/ with a PNG. */
function leakServer(port) {
  const requests = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method, path: request.url ?? "" });
    if ((request.url ?? "").startsWith("/img/")) {
      response.writeHead(200, { "content-type": "image/png", "cache-control": "no-store" });
      response.end(PIXEL);
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () =>
      resolve({ requests, close: () => new Promise((done) => server.close(() => done())) }),
    );
  });
}

const pause = (ms) => new Promise((done) => setTimeout(done, ms));

async function openMessage(browser, from) {
  const row = browser.$(`[data-testid="message-row"][data-from="${from}"]`);
  await row.waitForDisplayed({ timeout: UI_TIMEOUT });
  await row.click();
  await browser.waitUntil(
    async () => {
      const reader = byTestId(browser, "reader");
      return (await reader.isExisting()) && (await reader.getAttribute("aria-busy")) === "false";
    },
    { timeout: UI_TIMEOUT, timeoutMsg: `the message from ${from} did not open` },
  );
  const chip = browser.$(`[data-testid="person-chip"][data-address="${from}"]`);
  await chip.waitForExist({ timeout: UI_TIMEOUT });
}

/** What the app window can learn about the message frame. */
async function frameIsolation(browser) {
  return browser.execute(() => {
    const frame = document.querySelector('[data-testid="reader-body"]');
    if (!(frame instanceof HTMLIFrameElement)) return null;
    const out = {
      sandbox: frame.getAttribute("sandbox"),
      srcdocStart: (frame.getAttribute("srcdoc") ?? "").slice(0, 200),
      contentDocumentIsNull: frame.contentDocument === null,
    };
    const probe = (read) => {
      try {
        return { value: String(read()) };
      } catch (error) {
        return { threw: error instanceof Error ? error.name : String(error) };
      }
    };
    out.document = probe(() => frame.contentWindow.document);
    out.origin = probe(() => frame.contentWindow.origin);
    out.tauri = probe(() => frame.contentWindow.__TAURI_INTERNALS__);
    return out;
  });
}

function assertIsolated(isolation, from) {
  assert.ok(isolation, `${from}: the HTML body is shown in a frame`);
  assert.equal(isolation.sandbox, "", `${from}: sandbox grants nothing (no scripts, no same origin)`);
  assert.match(
    isolation.srcdocStart,
    /^<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none';/,
    `${from}: the frame's own CSP comes first`,
  );
  assert.equal(isolation.contentDocumentIsNull, true, `${from}: the app cannot read the frame's document`);
  assert.equal(isolation.document.threw, "SecurityError", `${from}: the frame's document is cross-origin`);
  // A cross-origin WindowProxy does not even expose `origin`: the frame's origin is opaque.
  assert.ok(isolation.origin.threw === "SecurityError" || isolation.origin.value === "null", `${from}: origin ${JSON.stringify(isolation.origin)}`);
  assert.equal(isolation.tauri.threw, "SecurityError", `${from}: no Tauri API through the frame`);
}

/** Contacts the payloads would have created through Tauri's IPC, asked through the same IPC. */
async function pwnedContacts(browser) {
  return browser.executeAsync((done) => {
    window.__TAURI_INTERNALS__
      .invoke("list_contacts", { filter: { query: "evil.test", limit: 100 } })
      .then((contacts) => done(contacts.map((c) => c.email)), (error) => done(`error: ${JSON.stringify(error)}`));
  });
}

const HOSTILE_SENDERS = [
  "scripts@hostile.test",
  "links@hostile.test",
  "svg@hostile.test",
  "css@hostile.test",
  "active@hostile.test",
  "escape@hostile.test",
  "images@hostile.test",
];

test("hostile mail runs nothing, loads nothing before consent, and cannot reach the app", async () => {
  const port = Number(requireEnv("E2E_LEAK_PORT"));
  const count = Number(requireEnv("E2E_HOSTILE_COUNT"));
  const server = await leakServer(port);
  const requested = () => server.requests.map((r) => r.path);
  try {
    await inApp("hostile-reader", requireEnv("E2E_HOSTILE_DATA_DIR"), async (browser) => {
      const nav = byTestId(browser, "nav-inbox");
      await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
      await nav.click();
      await browser.waitUntil(async () => (await browser.$$('[data-testid="message-row"]')).length === count, {
        timeout: UI_TIMEOUT,
        timeoutMsg: `the inbox does not list the ${count} corpus messages`,
      });
      const title = await browser.getTitle();
      // Anything a script in the frame posted to the window would land here.
      await browser.execute(() => {
        window.__e2eMessages = [];
        window.addEventListener("message", (event) => window.__e2eMessages.push(String(event.data)));
      });
      const ipcWorks = await pwnedContacts(browser);
      assert.ok(Array.isArray(ipcWorks), `the test can ask the app over IPC: ${ipcWorks}`);

      for (const from of HOSTILE_SENDERS) {
        await openMessage(browser, from);
        assertIsolated(await frameIsolation(browser), from);
        await pause(QUIET_MS);
        assert.deepEqual(requested(), [], `${from}: nothing was requested before consent`);
        assert.equal(await byTestId(browser, "link-confirm").isExisting(), false, `${from}: nothing navigated`);
      }
      await screenshot(browser, "hostile-images-blocked");

      assert.deepEqual(await browser.execute(() => window.__e2eMessages), [], "no script posted to the app");
      assert.deepEqual(await pwnedContacts(browser), [], "no script reached Tauri's IPC");
      assert.equal(await browser.getTitle(), title, "no script retitled the window");

      // Consent for this message only: exactly its three images load, nothing else.
      const bar = byTestId(browser, "images-bar");
      assert.equal(await bar.getAttribute("data-state"), "blocked");
      await byTestId(browser, "show-images").click();
      const images = ["/img/pixel.png", "/img/cell.png", "/img/inline.png"];
      await browser.waitUntil(async () => images.every((path) => requested().includes(path)), {
        timeout: UI_TIMEOUT,
        timeoutMsg: `the allowed images did not load; requested: ${JSON.stringify(server.requests)}`,
      });
      await pause(QUIET_MS);
      assert.deepEqual([...new Set(requested())].sort(), [...images].sort(), "only the message's images were requested");
      assert.ok(server.requests.every((r) => r.method === "GET"));

      // Opened again, the message asks again; "Always for this sender" is remembered.
      await openMessage(browser, "css@hostile.test");
      await openMessage(browser, "images@hostile.test");
      await byTestId(browser, "images-always").waitForDisplayed({ timeout: UI_TIMEOUT });
      await byTestId(browser, "images-always").click();
      await browser.waitUntil(async () => (await byTestId(browser, "images-bar").getAttribute("data-state")) === "always", {
        timeout: UI_TIMEOUT,
        timeoutMsg: "the sender was not remembered",
      });
      await openMessage(browser, "css@hostile.test");
      await openMessage(browser, "images@hostile.test");
      await browser.waitUntil(async () => (await byTestId(browser, "images-bar").getAttribute("data-state")) === "always", {
        timeout: UI_TIMEOUT,
        timeoutMsg: "reopened, the sender's images are not shown at once",
      });
      assert.match(await byTestId(browser, "images-bar").getText(), /images@hostile\.test/);
      await byTestId(browser, "images-revoke").click();
      await browser.waitUntil(async () => (await byTestId(browser, "images-bar").getAttribute("data-state")) === "blocked", {
        timeout: UI_TIMEOUT,
        timeoutMsg: "revoking did not block the images again",
      });
      assert.ok(requested().every((path) => path.startsWith("/img/")), `only images: ${JSON.stringify(requested())}`);
    });
  } finally {
    await server.close();
  }
});

test("a link in a mail is never followed in the app: its real target is shown first", async () => {
  const port = Number(requireEnv("E2E_LEAK_PORT"));
  const server = await leakServer(port);
  try {
    await inApp("hostile-link", requireEnv("E2E_HOSTILE_DATA_DIR"), async (browser) => {
      const nav = byTestId(browser, "nav-inbox");
      await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
      await nav.click();
      await openMessage(browser, "links@hostile.test");
      const frame = byTestId(browser, "reader-body");
      await frame.waitForDisplayed({ timeout: UI_TIMEOUT });
      await pause(500);

      // A real click on the link inside the script-less frame, as a user's would be.
      const box = await browser.execute(() => {
        const rect = document.querySelector('[data-testid="reader-body"]').getBoundingClientRect();
        return { x: Math.round(rect.x), y: Math.round(rect.y) };
      });
      await browser
        .action("pointer", { parameters: { pointerType: "mouse" } })
        .move({ origin: "viewport", x: box.x + 60, y: box.y + 40 })
        .down({ button: 0 })
        .up({ button: 0 })
        .perform();

      const confirm = byTestId(browser, "link-confirm");
      await confirm.waitForDisplayed({ timeout: UI_TIMEOUT });
      const target = `http://127.0.0.1:${port}/link/landing?from=mail`;
      assert.equal((await byTestId(browser, "link-target").getText()).trim(), target);
      assert.equal((await byTestId(browser, "link-host").getText()).trim(), "127.0.0.1");
      assert.match(await byTestId(browser, "link-mismatch").getText(), /bank\.example/);
      await screenshot(browser, "hostile-link-confirm");
      await byTestId(browser, "link-cancel").click();
      await confirm.waitForExist({ reverse: true, timeout: UI_TIMEOUT });

      // The frame did not go anywhere: it still shows the message, and nothing was fetched.
      await pause(QUIET_MS);
      assert.deepEqual(server.requests, [], "the link was not followed");
      const isolation = await frameIsolation(browser);
      assert.match(isolation.srcdocStart, /Content-Security-Policy/);
    });
  } finally {
    await server.close();
  }
});

test("inline cid: images are embedded from the message's own parts, without the network", async () => {
  const port = Number(requireEnv("E2E_LEAK_PORT"));
  const server = await leakServer(port);
  try {
    await inApp("hostile-inline", requireEnv("E2E_HOSTILE_DATA_DIR"), async (browser) => {
      const nav = byTestId(browser, "nav-inbox");
      await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
      await nav.click();
      await openMessage(browser, "inline@hostile.test");
      const frame = byTestId(browser, "reader-body");
      await browser.waitUntil(async () => ((await frame.getAttribute("srcdoc")) ?? "").includes("data:image/png;base64,iVBORw0KGgo"), {
        timeout: UI_TIMEOUT,
        timeoutMsg: "the cid: image was not embedded",
      });
      const srcdoc = await frame.getAttribute("srcdoc");
      assert.ok(srcdoc.includes('src="cid:missing@hostile.test"'), "a part the message lacks stays unresolved (and blocked)");
      const attachments = await browser.$$('[data-testid="attachment"]');
      assert.equal(attachments.length, 1, "the inline logo is shown in place, not listed");
      assert.match(await attachments[0].getProperty("textContent"), /notes\.txt/);
      assert.deepEqual(server.requests, []);
    });
  } finally {
    await server.close();
  }
});
