// Shared helpers for the end-to-end tests: one WebDriver session per test against
// tauri-driver, elements found by data-testid, screenshots after the UI has painted.
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { remote } from "webdriverio";

export const artifactsDir = join(dirname(fileURLToPath(import.meta.url)), "artifacts");

/** Generous, because the first paint of a debug build under Xvfb can be slow. */
export const UI_TIMEOUT = 20_000;

export function requireEnv(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set; the e2e runner must provide it`);
  return value;
}

/** Starts the app with its own data directory through tauri-driver. */
export async function openApp(dataDir) {
  return remote({
    hostname: process.env.E2E_DRIVER_HOST ?? "127.0.0.1",
    port: Number(process.env.E2E_DRIVER_PORT ?? 4444),
    logLevel: "warn",
    connectionRetryCount: 2,
    capabilities: {
      "tauri:options": {
        application: requireEnv("E2E_APP"),
        args: ["--data-dir", dataDir],
      },
      "wdio:enforceWebDriverClassic": true,
    },
  });
}

export function byTestId(browser, testId) {
  return browser.$(`[data-testid="${testId}"]`);
}

/** WebKitWebDriver can capture the frame before the last DOM change: let two frames pass. */
export async function settle(browser) {
  await browser.executeAsync((done) => {
    requestAnimationFrame(() => requestAnimationFrame(() => done()));
  });
}

export async function screenshot(browser, name) {
  await mkdir(artifactsDir, { recursive: true });
  await settle(browser);
  await browser.saveScreenshot(join(artifactsDir, `${name}.png`));
}

/**
 * Runs `body` in a fresh app session; screenshots `<name>-failure` if it throws and
 * `<name>` at the end, and always deletes the session (which quits the app).
 */
export async function inApp(name, dataDir, body) {
  const browser = await openApp(dataDir);
  try {
    await body(browser);
    await screenshot(browser, name);
  } catch (error) {
    await screenshot(browser, `${name}-failure`).catch((shotError) => {
      console.error(`could not take the failure screenshot: ${shotError}`);
    });
    throw error;
  } finally {
    await browser.deleteSession();
  }
}

/**
 * Shows the Mailboxes screen. The app remembers the last screen across launches (and the
 * tests share one WebKit profile), so a test that needs Mailboxes goes there first.
 */
export async function showMailboxes(browser) {
  const nav = byTestId(browser, "nav-mailboxes");
  try {
    await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
  } catch {
    return; // no navigation shown (e.g. first-run screen)
  }
  await nav.click();
}

/**
 * Finds a row of the message list matching `selector` (e.g. `[data-from="x@y"]`). The list
 * only renders the rows in view, so this scrolls it down a screen at a time (which also
 * loads older pages) until the row exists or the end is reached.
 */
export async function findMessageRow(browser, selector, { timeout = UI_TIMEOUT * 3 } = {}) {
  const list = byTestId(browser, "message-list");
  await list.waitForExist({ timeout: UI_TIMEOUT });
  await byTestId(browser, "message-row").waitForDisplayed({ timeout: UI_TIMEOUT });
  const row = browser.$(`[data-testid="message-row"]${selector}`);
  let stalled = 0;
  await browser.waitUntil(
    async () => {
      if (await row.isExisting()) return true;
      const moved = await browser.execute(() => {
        const element = document.querySelector('[data-testid="message-list"]');
        if (!element) return false;
        const before = element.scrollTop;
        element.scrollTop = before + element.clientHeight;
        return element.scrollTop !== before;
      });
      // At the end only once a page that might still be loading had its chance.
      stalled = moved ? 0 : stalled + 1;
      if (stalled > 6) throw new Error(`no message row ${selector} in the whole list`);
      return false;
    },
    { timeout, interval: 300, timeoutMsg: `no message row ${selector}` },
  );
  await row.scrollIntoView({ block: "center" });
  return row;
}

/**
 * Clicks "Trust this certificate" on the wizard's certificate card and waits until the
 * card is gone (the pin changes the settings, so the old outcome goes at once). The card
 * scrolls itself into view smoothly; a click while it still moves can land beside the
 * button on a loaded machine, so the click is repeated until the card goes.
 */
export async function trustShownCertificate(browser, timeout = 2 * UI_TIMEOUT) {
  const card = byTestId(browser, "certificate-card");
  await card.scrollIntoView({ block: "center" });
  await browser.waitUntil(
    async () => {
      if (!(await card.isExisting())) return true;
      const button = byTestId(browser, "trust-certificate");
      if (await button.isEnabled()) await button.click();
      return !(await card.isExisting());
    },
    { timeout, interval: 1000, timeoutMsg: "the certificate card stayed after trusting it" },
  );
}
