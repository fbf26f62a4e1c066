// "Sign in with Google" in the built app, with a local authorization server standing in
// for Google and a mail server that accepts only the tokens it issued. The runner
// provides, besides E2E_APP and E2E_DRIVER_PORT:
//   E2E_OAUTH_URL            the authorization server (its /test/... endpoints control it)
//   E2E_OAUTH_EMAIL          a gmail.com address, so the wizard offers Google
//   E2E_OAUTH_COUNT          messages in that mailbox
//   E2E_OAUTH_DATA_DIR       an empty data folder whose oauth.json points at the server
//   E2E_OAUTH_IMAP_TLS_PORT, E2E_OAUTH_SMTP_TLS_PORT   that mail server's ports
//   E2E_OAUTH_BROWSER_LOG    where the test's "system browser" (oauth-browser.mjs, set as
//                            RAPPORT_OAUTH_BROWSER) writes each visit as a JSON line
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import {
  UI_TIMEOUT,
  byTestId,
  inApp,
  requireEnv,
  screenshot,
  showMailboxes,
  trustShownCertificate,
} from "./support.mjs";

const CHECK_TIMEOUT = 30_000;
const SYNC_TIMEOUT = 60_000;

function browserVisits() {
  const log = requireEnv("E2E_OAUTH_BROWSER_LOG");
  if (!existsSync(log)) return [];
  return readFileSync(log, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function control(path) {
  const response = await fetch(`${requireEnv("E2E_OAUTH_URL")}${path}`, { method: "POST" });
  assert.ok(response.ok, `${path}: ${response.status}`);
}

async function waitForStep(browser, step, timeout = UI_TIMEOUT) {
  await browser.$(`[data-testid="wizard-step"][data-step="${step}"]`).waitForDisplayed({
    timeout,
    timeoutMsg: `the wizard did not reach its "${step}" step`,
  });
}

async function type(browser, testId, value) {
  const field = byTestId(browser, testId);
  await field.waitForDisplayed({ timeout: UI_TIMEOUT });
  await field.setValue(value);
}

async function checkStatus(browser, protocol) {
  return byTestId(browser, `check-${protocol}`).getAttribute("data-status");
}

async function checkError(browser, protocol) {
  const error = byTestId(browser, `check-${protocol}-error`);
  return (await error.isExisting()) ? error.getText() : "";
}

async function waitForChecks(browser) {
  await browser.waitUntil(
    async () => {
      const statuses = [await checkStatus(browser, "imap"), await checkStatus(browser, "smtp")];
      return statuses.every((status) => status === "ok" || status === "failed");
    },
    { timeout: CHECK_TIMEOUT, interval: 250, timeoutMsg: "the connection test did not finish" },
  );
}

/** Waits until the browser script has logged `count` visits and returns the last. */
async function browserVisit(browser, count) {
  await browser.waitUntil(async () => browserVisits().length >= count, {
    timeout: UI_TIMEOUT,
    timeoutMsg: `the "browser" was not opened (${count} visits expected)`,
  });
  return browserVisits()[count - 1];
}

test("Sign in with Google adds a mailbox that syncs; a revoked sign-in asks to sign in again; it can move to a password", async () => {
  const email = requireEnv("E2E_OAUTH_EMAIL");
  const count = Number(requireEnv("E2E_OAUTH_COUNT"));
  const visitsBefore = browserVisits().length;

  await inApp("oauth-signed-in-again", requireEnv("E2E_OAUTH_DATA_DIR"), async (browser) => {
    await showMailboxes(browser);
    await byTestId(browser, "add-mailbox").click();
    await waitForStep(browser, "address");
    await type(browser, "field-email", email);
    await type(browser, "field-name", "OAuth Tester");
    await byTestId(browser, "wizard-next").click();
    await waitForStep(browser, "signin");

    const signIn = byTestId(browser, "oauth-sign-in");
    await signIn.waitForDisplayed({ timeout: UI_TIMEOUT, timeoutMsg: "no Sign in with Google button" });
    assert.equal(await signIn.getText(), "Sign in with Google");
    await screenshot(browser, "oauth-1-offer");
    await signIn.click();

    // The "browser" follows the authorization URL to the app's loopback redirect; the
    // wizard goes on to the servers once the code is exchanged.
    await waitForStep(browser, "servers", CHECK_TIMEOUT);
    const visit = await browserVisit(browser, visitsBefore + 1);
    const authorize = new URL(visit.urls[0]);
    assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
    assert.equal(authorize.searchParams.get("login_hint"), email);
    assert.match(authorize.searchParams.get("redirect_uri"), /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(visit.status, 200);
    assert.match(visit.body, /You are signed in/);

    // gmail.com's servers are not reachable here: point the wizard at the test server.
    const toggle = byTestId(browser, "edit-servers");
    if ((await toggle.getAttribute("aria-expanded")) !== "true") await toggle.click();
    await type(browser, "field-imap-host", "localhost");
    await type(browser, "field-imap-port", requireEnv("E2E_OAUTH_IMAP_TLS_PORT"));
    await byTestId(browser, "field-imap-security").selectByAttribute("value", "tls");
    await type(browser, "field-smtp-host", "localhost");
    await type(browser, "field-smtp-port", requireEnv("E2E_OAUTH_SMTP_TLS_PORT"));
    await byTestId(browser, "field-smtp-security").selectByAttribute("value", "tls");
    const testButton = byTestId(browser, "test-connection");
    await testButton.waitForEnabled({ timeout: UI_TIMEOUT });
    await testButton.click();
    await waitForChecks(browser);
    await trustShownCertificate(browser);
    await waitForChecks(browser);
    for (const protocol of ["imap", "smtp"]) {
      assert.equal(await checkStatus(browser, protocol), "ok", `${protocol}: ${await checkError(browser, protocol)}`);
    }
    await screenshot(browser, "oauth-2-checks");
    await byTestId(browser, "wizard-next").click();
    await waitForStep(browser, "options");
    await byTestId(browser, "since-all").click();
    await byTestId(browser, "wizard-next").click();
    await byTestId(browser, "wizard").waitForExist({ reverse: true, timeout: CHECK_TIMEOUT });

    const row = browser.$(`[data-testid="account-row"][data-email="${email}"]`);
    await row.waitForDisplayed({ timeout: UI_TIMEOUT });
    const countPattern = new RegExp(`^${count.toLocaleString("en-US")} messages?$`);
    await browser.waitUntil(async () => countPattern.test(await row.$('[data-testid="account-message-count"]').getText()), {
      timeout: SYNC_TIMEOUT,
      interval: 500,
      timeoutMsg: "the signed-in mailbox did not sync",
    });

    // The user revokes Rapport's access at Google: the next sync says so and offers
    // "Sign in again" instead of stopping silently.
    await control(`/test/revoke-user?user=${encodeURIComponent(email)}`);
    // The app's own sync (its first pass, or IDLE coming back) may meet the revocation
    // before the user does: then "Sign in again" replaces "Sync now" without a click.
    // Otherwise the user clicks "Sync now" once it is enabled again.
    const again = row.$('[data-testid="sign-in-again"]');
    let clickedSyncNow = false;
    await browser.waitUntil(
      async () => {
        if (await again.isDisplayed()) return true;
        if (clickedSyncNow) return false;
        const syncNow = row.$('[data-testid="sync-now"]');
        if ((await syncNow.isExisting()) && (await syncNow.isEnabled())) {
          await syncNow.click().then(
            () => (clickedSyncNow = true),
            () => {}, // it went away between the check and the click: look again
          );
        }
        return false;
      },
      { timeout: SYNC_TIMEOUT + CHECK_TIMEOUT, interval: 500, timeoutMsg: "no Sign in again button after the revocation" },
    );
    assert.match(await row.$('[data-testid="account-error"]').getText(), /Sign in again/);
    await screenshot(browser, "oauth-3-sign-in-again");

    await again.click();
    await again.waitForExist({ reverse: true, timeout: CHECK_TIMEOUT, timeoutMsg: "Sign in again did not succeed" });
    await browserVisit(browser, visitsBefore + 2);
    await browser.waitUntil(async () => (await row.$('[data-testid="account-state"]').getText()) === "Up to date", {
      timeout: SYNC_TIMEOUT,
      interval: 500,
      timeoutMsg: "the mailbox did not sync after signing in again",
    });

    // The user moves the mailbox to an app password in its settings: a wrong one is
    // refused at the field, the right one replaces the sign-in and the mailbox syncs on.
    await row.$('[data-testid="edit-account"]').click();
    const settings = byTestId(browser, "account-settings");
    await settings.waitForDisplayed({ timeout: UI_TIMEOUT });
    await byTestId(browser, "use-password-open").click();
    await type(browser, "field-switch-password", "not-the-password");
    await byTestId(browser, "use-password").click();
    await byTestId(browser, "error-switch-password").waitForDisplayed({
      timeout: CHECK_TIMEOUT,
      timeoutMsg: "a wrong password was not refused at its field",
    });
    await type(browser, "field-switch-password", requireEnv("E2E_OAUTH_PASSWORD"));
    await byTestId(browser, "use-password").click();
    const note = byTestId(browser, "auth-switched");
    await note.waitForDisplayed({ timeout: CHECK_TIMEOUT, timeoutMsg: "the switch to a password did not happen" });
    assert.match(await note.getText(), /now logs in with the password/);
    assert.equal(await byTestId(browser, "settings-oauth").isExisting(), false);
    await screenshot(browser, "oauth-4-password");
    await byTestId(browser, "settings-cancel").click();
    await settings.waitForExist({ reverse: true, timeout: UI_TIMEOUT });
    await browser.waitUntil(async () => (await row.$('[data-testid="account-state"]').getText()) === "Up to date", {
      timeout: SYNC_TIMEOUT,
      interval: 500,
      timeoutMsg: "the mailbox did not sync with the password",
    });
    assert.equal(await row.$('[data-testid="account-error"]').isExisting(), false);
  });
});
