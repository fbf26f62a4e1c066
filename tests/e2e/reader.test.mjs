// The daily view of the built app over WebDriver: open the unified inbox of the seeded
// mailbox, open a message from a known contact, click the sender's chip (or their entry
// in the person panel) and check that their card opens with the counts and timeline
// rapport-cli reports for the same data folder.
//   E2E_SEEDED_DATA_DIR   the synced data folder (see accounts.test.mjs)
//   E2E_CONTACT_EMAIL     a contact there, E2E_CONTACT_SENT / E2E_CONTACT_RECEIVED its counts
import assert from "node:assert/strict";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, findMessageRow, inApp, requireEnv, screenshot } from "./support.mjs";

/** Opens the unified inbox and the newest conversation with a message from `email`. */
async function openMessageFrom(browser, email) {
  const nav = byTestId(browser, "nav-inbox");
  await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
  await nav.click();
  await byTestId(browser, "message-row").waitForDisplayed({ timeout: UI_TIMEOUT });

  // The contact's newest mail may be far down the list: scroll until a row is theirs.
  const row = await findMessageRow(browser, `[data-from="${email}"]`);
  await row.click();
}

test("a message from a contact opens in the reader and its sender chip opens the card", async () => {
  const email = requireEnv("E2E_CONTACT_EMAIL");
  const sent = Number(requireEnv("E2E_CONTACT_SENT"));
  const received = Number(requireEnv("E2E_CONTACT_RECEIVED"));
  await inApp("reader-contact", requireEnv("E2E_SEEDED_DATA_DIR"), async (browser) => {
    await openMessageFrom(browser, email);

    const reader = byTestId(browser, "reader");
    await reader.waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.notEqual((await byTestId(browser, "reader-subject").getText()).trim(), "");
    await screenshot(browser, "reader-message");
    const chip = browser.$(`[data-testid="person-chip"][data-address="${email}"]`);
    await chip.waitForDisplayed({ timeout: UI_TIMEOUT });
    await chip.click();

    await byTestId(browser, "contact-card").waitForDisplayed({ timeout: UI_TIMEOUT });
    await browser.waitUntil(
      async () => (await byTestId(browser, "contact-stats-sent").getText()).trim() === String(sent),
      { timeout: UI_TIMEOUT, timeoutMsg: `sent count is not ${sent}` },
    );
    assert.equal((await byTestId(browser, "contact-stats-received").getText()).trim(), String(received));
  });
});

test("a person in the reader's panel shows their card summary and opens the card and timeline", async () => {
  const email = requireEnv("E2E_CONTACT_EMAIL");
  const sent = Number(requireEnv("E2E_CONTACT_SENT"));
  const received = Number(requireEnv("E2E_CONTACT_RECEIVED"));
  await inApp("reader-person-panel", requireEnv("E2E_SEEDED_DATA_DIR"), async (browser) => {
    await openMessageFrom(browser, email);
    await byTestId(browser, "person-panel").waitForDisplayed({ timeout: UI_TIMEOUT });
    if ((await byTestId(browser, "person-panel-toggle").getAttribute("aria-expanded")) === "false") {
      await byTestId(browser, "person-panel-toggle").click();
    }
    const entry = browser.$(`[data-testid="person-card"][data-address="${email}"]`);
    await entry.waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.equal((await entry.$('[data-testid="person-sent"]').getText()).trim(), `${sent} sent`);
    assert.equal((await entry.$('[data-testid="person-received"]').getText()).trim(), `${received} received`);
    await screenshot(browser, "reader-person-panel");
    await entry.click();

    await byTestId(browser, "contact-card").waitForDisplayed({ timeout: UI_TIMEOUT });
    await browser.waitUntil(
      async () => (await byTestId(browser, "contact-stats-sent").getText()).trim() === String(sent),
      { timeout: UI_TIMEOUT, timeoutMsg: `sent count is not ${sent}` },
    );
    assert.equal((await byTestId(browser, "contact-stats-received").getText()).trim(), String(received));
    assert.ok(await browser.$(`[data-testid="contact-address"][data-email="${email}"]`).isExisting(), "the card is theirs");
    await browser.waitUntil(
      async () => (await browser.$$('[data-testid="timeline-entry"]')).length === Math.min(sent + received, 50),
      { timeout: UI_TIMEOUT, timeoutMsg: `the timeline does not list ${Math.min(sent + received, 50)} messages` },
    );
  });
});
