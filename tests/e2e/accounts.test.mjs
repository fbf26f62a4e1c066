// The Accounts screen of the built app, driven over WebDriver (tauri-driver on :4444).
// The runner provides:
//   E2E_APP              absolute path of the app binary built with the UI embedded
//   E2E_EMPTY_DATA_DIR   a data directory with no account
//   E2E_SEEDED_DATA_DIR  a data directory holding one synced account, E2E_SEEDED_EMAIL,
//                        with E2E_SEEDED_COUNT messages; its server is running and its
//                        password is in the keyring
import assert from "node:assert/strict";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, inApp, requireEnv, showMailboxes } from "./support.mjs";

test("an empty data dir opens on the first-mailbox screen and its wizard checks input", async () => {
  await inApp("accounts-empty", requireEnv("E2E_EMPTY_DATA_DIR"), async (browser) => {
    const emptyState = byTestId(browser, "empty-state");
    await emptyState.waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.match(await emptyState.getText(), /Connect your first mailbox/);

    await byTestId(browser, "add-mailbox").click();
    await byTestId(browser, "wizard").waitForDisplayed({ timeout: UI_TIMEOUT });

    await byTestId(browser, "field-email").setValue("not-an-address");
    await byTestId(browser, "wizard-next").click();
    const emailError = byTestId(browser, "error-email");
    await emailError.waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.match(await emailError.getText(), /email address/);
    await byTestId(browser, "error-senderName").waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.equal(
      await browser.$('[data-testid="wizard-step"][data-step="address"]').isExisting(),
      true,
      "the wizard stays on the address step",
    );

    await byTestId(browser, "field-email").setValue("alice@example.org");
    await browser.waitUntil(async () => !(await byTestId(browser, "error-email").isExisting()), {
      timeout: UI_TIMEOUT,
      timeoutMsg: "the address error stayed after a valid address was typed",
    });

    // Esc with something typed asks first; discarding returns to the empty screen.
    await browser.keys("Escape");
    const discard = byTestId(browser, "confirm-discard");
    await discard.waitForDisplayed({ timeout: UI_TIMEOUT });
    await discard.click();
    await byTestId(browser, "wizard").waitForExist({ reverse: true, timeout: UI_TIMEOUT });
    await emptyState.waitForDisplayed({ timeout: UI_TIMEOUT });
  });
});

test("a seeded account is listed with its count and syncs again on request", async () => {
  const email = requireEnv("E2E_SEEDED_EMAIL");
  const count = Number(requireEnv("E2E_SEEDED_COUNT"));
  // The UI formats counts for en-US: "1,234 messages".
  const countPattern = new RegExp(`^${count.toLocaleString("en-US")} messages?$`);

  await inApp("accounts-seeded", requireEnv("E2E_SEEDED_DATA_DIR"), async (browser) => {
    await showMailboxes(browser);
    const row = browser.$(`[data-testid="account-row"][data-email="${email}"]`);
    await row.waitForDisplayed({ timeout: UI_TIMEOUT });
    const messageCount = row.$('[data-testid="account-message-count"]');
    assert.match(await messageCount.getText(), countPattern);
    assert.notEqual((await row.$('[data-testid="account-last-sync"]').getText()).trim(), "Never synced");

    // The app syncs every account in the background when it starts: let that pass end,
    // then wait past the second it recorded (last-sync times have one-second resolution).
    await browser.waitUntil(async () => (await row.getAttribute("data-state")) === "up-to-date", {
      timeout: 30_000,
      interval: 250,
    });
    await browser.pause(1100);
    // A sync with nothing new can finish before the next command: the changed
    // last-sync time, not the "Syncing…" state, is what proves it ran.
    const syncedBefore = await row.getAttribute("data-last-sync-at");
    await row.$('[data-testid="sync-now"]').click();
    let state = "";
    try {
      await browser.waitUntil(
        async () => {
          state = await row.getAttribute("data-state");
          return state === "up-to-date" && (await row.getAttribute("data-last-sync-at")) !== syncedBefore;
        },
        { timeout: 30_000, interval: 250 },
      );
    } catch (error) {
      throw new Error(`the account did not come back up to date after "Sync now" (last state: ${state})`, {
        cause: error,
      });
    }
    assert.equal(await row.$('[data-testid="sync-progress"]').isExisting(), false);
    assert.match(await messageCount.getText(), countPattern);
    assert.equal(await row.$('[data-testid="account-error"]').isExisting(), false);
  });
});
