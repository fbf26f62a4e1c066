// The Follow-ups view of the built app over WebDriver: its four lists hold what
// `rapport-cli followups --json` reports for the same data folder, and a contact opens
// from it.
//   E2E_SEEDED_DATA_DIR   the synced data folder (see accounts.test.mjs)
//   E2E_CLI               rapport-cli, for the expected lists
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, inApp, requireEnv } from "./support.mjs";

const lists = [
  ["awaitingReply", "awaitingReply"],
  ["awaitingMe", "awaitingMe"],
  ["goingCold", "goingCold"],
  ["dates", "due"],
];

test("the Follow-ups view shows the CLI's lists and opens a contact from them", async () => {
  const dataDir = requireEnv("E2E_SEEDED_DATA_DIR");
  const expected = JSON.parse(
    execFileSync(requireEnv("E2E_CLI"), ["--data-dir", dataDir, "--json", "followups"], { encoding: "utf8" }),
  );
  const waiting = [...expected.awaitingReply, ...expected.awaitingMe];
  assert.ok(
    waiting.some((thread) => thread.person.contactId !== null),
    `the seeded mailbox has a waiting thread with a contact: ${JSON.stringify(expected.counts)}`,
  );

  await inApp("followups", dataDir, async (browser) => {
    await byTestId(browser, "nav-followups").waitForDisplayed({ timeout: UI_TIMEOUT });
    await byTestId(browser, "nav-followups").click();
    await byTestId(browser, "followups-screen").waitForDisplayed({ timeout: UI_TIMEOUT });
    for (const [section, count] of lists) {
      const list = byTestId(browser, `followups-${section}`);
      await list.waitForDisplayed({ timeout: UI_TIMEOUT });
      const shown = (await list.$('[data-testid="followups-count"]').getText()).replace(/\D/g, "");
      assert.equal(Number(shown), expected.counts[count], `${section} count`);
    }
    for (const kind of ["awaitingReply", "awaitingMe"]) {
      const rows = await byTestId(browser, `followups-${kind}`).$$('[data-testid="followup-thread"]');
      const ids = [];
      for (const row of rows) ids.push(Number(await row.getAttribute("data-message-id")));
      assert.deepEqual(ids, expected[kind].map((thread) => thread.messageId), `${kind} rows`);
    }

    const thread = waiting.find((t) => t.person.contactId !== null);
    const row = browser.$(`[data-testid="followup-thread"][data-message-id="${thread.messageId}"]`);
    await row.$('[data-testid="followup-contact"]').click();
    const card = byTestId(browser, "contact-card");
    await card.waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.equal(Number(await card.getAttribute("data-contact-id")), thread.person.contactId);
    assert.equal(await byTestId(browser, "nav-contacts").getAttribute("aria-current"), "page");
    await byTestId(browser, "contact-activity").waitForDisplayed({ timeout: UI_TIMEOUT });
  });
});
