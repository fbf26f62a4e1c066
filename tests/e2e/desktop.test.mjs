// Desktop integration in the built app over WebDriver:
// - single instance: while Rapport runs, a second launch with a mailto: link (what the
//   desktop entry's "Exec=rapport %u" does when a mailto: link is clicked) exits at once,
//   the running window receives the link as the `mail-link` event and compose opens
//   with the link's subject;
// - Pause sync: pausing (what the tray's "Pause sync" calls) shows the sidebar's
//   "Sync is paused" with Resume, and Resume starts the background sync again;
// - Preferences: the desktop settings are saved (and still there after a relaunch), and
//   "Copy diagnostics" shows versions and the mailbox's state without its password.
//   E2E_SEEDED_DATA_DIR, E2E_SEEDED_EMAIL   the synced data folder and its mailbox
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, inApp, requireEnv } from "./support.mjs";

/** Records every `mail-link` event the window receives, through the page's own Tauri IPC. */
async function recordMailLinks(browser) {
  await browser.waitUntil(async () => browser.execute(() => Boolean(window.__TAURI_INTERNALS__)), {
    timeout: UI_TIMEOUT,
    timeoutMsg: "the app page did not load",
  });
  await browser.execute(() => {
    window.__e2eMailLinks = [];
    window.__e2eListening = false;
    const internals = window.__TAURI_INTERNALS__;
    const handler = internals.transformCallback((event) => window.__e2eMailLinks.push(event.payload.url));
    internals
      .invoke("plugin:event|listen", { event: "mail-link", target: { kind: "Any" }, handler })
      .then(() => (window.__e2eListening = true));
  });
  await browser.waitUntil(async () => browser.execute(() => window.__e2eListening), {
    timeout: UI_TIMEOUT,
    timeoutMsg: "could not listen for mail-link events",
  });
}

function launch(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(requireEnv("E2E_APP"), args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the second launch did not exit within 20 s (it should hand over and quit):\n${output}`));
    }, 20_000);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

test("a second launch with a mailto: link hands it to the running window and exits", async () => {
  const dataDir = requireEnv("E2E_SEEDED_DATA_DIR");
  await inApp("desktop-single-instance", dataDir, async (browser) => {
    await recordMailLinks(browser);
    const url = "mailto:ann.example@rapport.test?subject=Hello%20from%20a%20link&body=Hi%20Ann";
    const started = Date.now();
    const second = await launch(["--data-dir", dataDir, url]);
    assert.equal(second.code, 0, `the second launch failed:\n${second.output}`);
    await browser.waitUntil(async () => (await browser.execute(() => window.__e2eMailLinks)).includes(url), {
      timeout: UI_TIMEOUT,
      timeoutMsg: "the running window never received the mailto: link",
    });
    console.log(`second launch handed over and exited in ${Date.now() - started} ms`);
    // The window opens compose prefilled from the link (compose listens to mail-link).
    const subject = byTestId(browser, "compose-subject");
    await subject.waitForDisplayed({ timeout: UI_TIMEOUT });
    await browser.waitUntil(async () => (await subject.getValue()) === "Hello from a link", {
      timeout: UI_TIMEOUT,
      timeoutMsg: "compose did not open with the link's subject",
    });
    // Only one window: the second launch opened none of its own.
    assert.equal((await browser.getWindowHandles()).length, 1);
  });
});

test("desktop settings are saved, and diagnostics name the mailbox's state without secrets", async () => {
  const dataDir = requireEnv("E2E_SEEDED_DATA_DIR");
  const email = requireEnv("E2E_SEEDED_EMAIL");
  const domain = email.split("@")[1];
  await inApp("desktop-settings", dataDir, async (browser) => {
    const nav = byTestId(browser, "nav-preferences");
    await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
    await nav.click();
    const allMail = byTestId(browser, "notifications-all-mail").$("input");
    await allMail.waitForExist({ timeout: UI_TIMEOUT });
    assert.equal(await allMail.isSelected(), false, "all mail is off by default");
    await byTestId(browser, "notifications-all-mail").click();
    await browser.waitUntil(async () => allMail.isSelected(), { timeout: UI_TIMEOUT });

    await byTestId(browser, "copy-diagnostics").click();
    const text = byTestId(browser, "diagnostics-text");
    await text.waitForExist({ timeout: UI_TIMEOUT });
    const report = await text.getProperty("value");
    assert.match(report, /^Rapport \d+\.\d+\.\d+/);
    assert.match(report, /Tauri 2\./);
    assert.ok(report.includes(`…@${domain}`), report);
    assert.ok(!report.includes(email), "the full address is in the diagnostics");
    assert.ok(!report.includes("E2e-password"), "the password is in the diagnostics");
  });
  // Saved in the store: a relaunch shows the choice, then it is put back.
  await inApp("desktop-settings-relaunch", dataDir, async (browser) => {
    await byTestId(browser, "nav-preferences").waitForDisplayed({ timeout: UI_TIMEOUT });
    await byTestId(browser, "nav-preferences").click();
    const allMail = byTestId(browser, "notifications-all-mail").$("input");
    await allMail.waitForExist({ timeout: UI_TIMEOUT });
    assert.equal(await allMail.isSelected(), true, "the choice did not survive a relaunch");
    await byTestId(browser, "notifications-all-mail").click();
    await browser.waitUntil(async () => !(await allMail.isSelected()), { timeout: UI_TIMEOUT });
  });
});

test("a paused sync shows in the sidebar and Resume resumes it", async () => {
  const dataDir = requireEnv("E2E_SEEDED_DATA_DIR");
  await inApp("sync-paused", dataDir, async (browser) => {
    await byTestId(browser, "nav-inbox").waitForDisplayed({ timeout: UI_TIMEOUT });
    const banner = byTestId(browser, "sync-paused");
    assert.equal(await banner.isExisting(), false, "paused before anything paused it");
    // The tray menu is out of WebDriver's reach; its item runs the same command.
    await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__.invoke("set_sync_paused", { paused: true }).then(() => done());
    });
    await banner.waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.match(await banner.getText(), /Sync is paused/);
    await banner.$("button").click();
    await banner.waitForExist({ reverse: true, timeout: UI_TIMEOUT });
    const paused = await browser.executeAsync((done) => {
      window.__TAURI_INTERNALS__.invoke("sync_paused").then(done);
    });
    assert.equal(paused, false, "Resume left the sync paused");
  });
});
