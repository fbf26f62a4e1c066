// A contact's timeline in the built app over WebDriver: an entry opens in place and shows
// the message's own text through the message_text command, its beginning matching the
// snippet; the attachments tab dates each file and says which way it went.
//   E2E_SEEDED_DATA_DIR   the synced data folder (see accounts.test.mjs)
//   E2E_CONTACT_EMAIL     a contact there with mail both ways
import assert from "node:assert/strict";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, inApp, requireEnv } from "./support.mjs";

const words = (text) => text.replace(/\s+/g, " ").trim();

test("a timeline entry opens in place with the sender's own text", async () => {
  const email = requireEnv("E2E_CONTACT_EMAIL");
  await inApp("timeline-open", requireEnv("E2E_SEEDED_DATA_DIR"), async (browser) => {
    await byTestId(browser, "nav-contacts").waitForDisplayed({ timeout: UI_TIMEOUT });
    await byTestId(browser, "nav-contacts").click();
    const search = byTestId(browser, "contacts-search");
    await search.waitForDisplayed({ timeout: UI_TIMEOUT });
    await search.setValue(email);
    const row = browser.$(`[data-testid="contact-row"][data-email="${email}"]`);
    await row.waitForDisplayed({ timeout: UI_TIMEOUT });
    await row.click();

    const entry = byTestId(browser, "timeline-entry");
    await entry.waitForDisplayed({ timeout: UI_TIMEOUT });
    // WebKitWebDriver's visible text of the one-line, ellipsised snippet is empty: read its content.
    const snippet = words(await entry.$('[data-testid="timeline-snippet"]').getProperty("textContent")).replace(/…$/, "");
    const toggle = entry.$('[data-testid="timeline-toggle"]');
    await toggle.click();
    const own = entry.$('[data-testid="timeline-own-text"]');
    await own.waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.equal(await toggle.getAttribute("aria-expanded"), "true");
    assert.ok(snippet.length > 0, "the entry has a snippet");
    const ownText = words(await own.getProperty("textContent"));
    assert.ok(ownText.startsWith(snippet), `the opened text begins with the snippet: "${ownText}" / "${snippet}"`);
    await toggle.click();
    await own.waitForExist({ reverse: true, timeout: UI_TIMEOUT });

    await byTestId(browser, "tab-attachments").click();
    const rows = await browser.$$('[data-testid="attachment-row"]');
    for (const attachment of rows) {
      assert.match(await attachment.getAttribute("data-direction"), /^(in|out)$/);
      assert.notEqual((await attachment.$('[data-testid="attachment-date"]').getText()).trim(), "");
      assert.match((await attachment.$('[data-testid="attachment-direction"]').getText()).trim(), /^(Received|Sent)$/);
    }
  });
});
