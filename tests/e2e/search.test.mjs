// Search in the built app over WebDriver: type `from:` and a word into the inbox's search
// field and get exactly the messages rapport-cli finds for the same data folder, which
// the runner also checked against the correspondent's timeline (see run.sh).
//   E2E_SEEDED_DATA_DIR   the synced data folder
//   E2E_CONTACT_EMAIL     a correspondent there with mail from them
//   E2E_SEARCH_QUERY      "from:<that address> <a word of their subjects> "
//   E2E_SEARCH_WORD       the word
//   E2E_SEARCH_RESULTS    `rapport-cli search --json` of the query
//   E2E_SEARCH_TIMELINE   `rapport-cli timeline --json` of the correspondent
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, inApp, requireEnv, screenshot } from "./support.mjs";

/** The search list's first page. */
const PAGE = 50;

function words(text) {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

test("from: and a word list exactly that person's messages with the word", async () => {
  const email = requireEnv("E2E_CONTACT_EMAIL");
  const query = requireEnv("E2E_SEARCH_QUERY");
  const word = words(requireEnv("E2E_SEARCH_WORD"))[0];
  const found = JSON.parse(readFileSync(requireEnv("E2E_SEARCH_RESULTS"), "utf8"));
  const timeline = JSON.parse(readFileSync(requireEnv("E2E_SEARCH_TIMELINE"), "utf8"));

  // The truth from the timeline: mail *from* them (not to them) whose subject or text
  // holds the word. The CLI's search must agree before the UI is judged against it.
  const truth = timeline
    .filter((e) => e.fromAddress === email && words(`${e.subject} ${e.snippet}`).includes(word))
    .map((e) => e.messageId)
    .sort((a, b) => a - b);
  const expected = found.map((m) => m.id);
  assert.ok(expected.length >= 1, `the seed gave ${email} no message with "${word}"`);
  assert.deepEqual([...expected].sort((a, b) => a - b), truth, "rapport-cli search agrees with the timeline");
  // run.sh picks a word that is also in mail *to* them, so the role check is exercised.
  const toThem = timeline.filter((e) => e.fromAddress !== email && words(`${e.subject} ${e.snippet}`).includes(word));
  assert.ok(toThem.length >= 1, `no mail to ${email} holds "${word}": the test would not tell from: from to:`);
  assert.ok(toThem.every((e) => !expected.includes(e.messageId)));

  await inApp("search-from", requireEnv("E2E_SEEDED_DATA_DIR"), async (browser) => {
    const nav = byTestId(browser, "nav-inbox");
    await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
    await nav.click();
    await byTestId(browser, "message-row").waitForDisplayed({ timeout: UI_TIMEOUT });

    // "/" focuses the field from the list.
    await browser.keys("/");
    const input = byTestId(browser, "search-input");
    await browser.waitUntil(async () => input.isFocused(), {
      timeout: UI_TIMEOUT,
      timeoutMsg: "/ did not focus the search field",
    });
    await input.setValue(query);

    const shown = expected.slice(0, PAGE);
    let listed = [];
    await browser.waitUntil(
      async () => {
        const rows = await browser.$$('[data-testid="search-row"]');
        listed = [];
        for (const row of rows) listed.push(Number(await row.getAttribute("data-message-id")));
        return listed.length === shown.length;
      },
      { timeout: UI_TIMEOUT, timeoutMsg: `expected ${shown.length} results for ${query}` },
    );
    assert.deepEqual(listed, shown, "the same messages, newest first");
    for (const row of await browser.$$('[data-testid="search-row"]')) {
      assert.equal(await row.getAttribute("data-from"), email);
    }
    assert.equal(await byTestId(browser, "message-row").isExisting(), false, "results replace the inbox");

    // A result opens its conversation in the reader.
    const first = browser.$('[data-testid="search-row"]');
    await first.click();
    await byTestId(browser, "conversation").waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.equal(await first.getAttribute("aria-current"), "true");
    await screenshot(browser, "search-light");

    // A bad operator is explained under the field.
    await input.setValue("offer before:2026-13-45");
    const error = byTestId(browser, "search-error");
    await error.waitForDisplayed({ timeout: UI_TIMEOUT });
    const text = await error.getText();
    assert.match(text, /before:/);
    assert.match(text, /YYYY-MM-DD/);

    // Esc clears the field and the inbox comes back.
    await input.click();
    await browser.keys("Escape");
    await byTestId(browser, "message-row").waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.equal(await input.getValue(), "");

    // The same results in the dark theme, for the screenshot.
    try {
      await byTestId(browser, "nav-preferences").click();
      const dark = byTestId(browser, "theme-dark");
      await dark.waitForDisplayed({ timeout: UI_TIMEOUT });
      await dark.click();
      await nav.click();
      const field = byTestId(browser, "search-input");
      await field.waitForDisplayed({ timeout: UI_TIMEOUT });
      await field.setValue(query);
      await browser.waitUntil(async () => (await browser.$$('[data-testid="search-row"]')).length === shown.length, {
        timeout: UI_TIMEOUT,
        timeoutMsg: "no results in the dark theme",
      });
      await screenshot(browser, "search-dark");
    } finally {
      await browser.execute(() => localStorage.removeItem("rapport.theme"));
    }
  });
});
