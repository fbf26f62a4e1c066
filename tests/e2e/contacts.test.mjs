// The CRM screens of the built app over WebDriver: find a correspondent of the seeded
// mailbox in Contacts, open the card, and check its counts and timeline against what
// rapport-cli reports for the same data folder.
//   E2E_SEEDED_DATA_DIR   the synced data folder (see accounts.test.mjs)
//   E2E_CONTACT_EMAIL     a contact there, E2E_CONTACT_SENT / E2E_CONTACT_RECEIVED its counts
import assert from "node:assert/strict";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, inApp, requireEnv } from "./support.mjs";

test("a contact found in Contacts opens with the right counts and timeline", async () => {
  const email = requireEnv("E2E_CONTACT_EMAIL");
  const sent = Number(requireEnv("E2E_CONTACT_SENT"));
  const received = Number(requireEnv("E2E_CONTACT_RECEIVED"));
  await inApp("contacts-card", requireEnv("E2E_SEEDED_DATA_DIR"), async (browser) => {
    await byTestId(browser, "nav-contacts").waitForDisplayed({ timeout: UI_TIMEOUT });
    await byTestId(browser, "nav-contacts").click();
    const search = byTestId(browser, "contacts-search");
    await search.waitForDisplayed({ timeout: UI_TIMEOUT });
    await search.setValue(email);
    const row = browser.$(`[data-testid="contact-row"][data-email="${email}"]`);
    await row.waitForDisplayed({ timeout: UI_TIMEOUT });
    await row.click();
    await byTestId(browser, "contact-card").waitForDisplayed({ timeout: UI_TIMEOUT });
    await browser.waitUntil(
      async () => (await byTestId(browser, "contact-stats-sent").getText()).trim() === String(sent),
      { timeout: UI_TIMEOUT, timeoutMsg: `sent count is not ${sent}` },
    );
    assert.equal((await byTestId(browser, "contact-stats-received").getText()).trim(), String(received));
    const entries = await browser.$$('[data-testid="timeline-entry"]');
    assert.equal(entries.length, Math.min(sent + received, 50), "the timeline lists every message (first page)");
  });
});
