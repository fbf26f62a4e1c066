// The mail screen of the built app over WebDriver, on the seeded, synced account:
// the unified inbox lists conversations, a conversation opens in the reader with its
// messages, and a message marked read (by opening it, then with u and u again) carries
// \Seen on the server, checked in the Maildir Dovecot keeps (the S in ":2,S").
//   E2E_SEEDED_DATA_DIR   the synced data folder
//   E2E_SEEDED_MAILDIR    that account's Maildir on the harness server
//   E2E_CLI               rapport-cli, to learn a message's Message-ID from the same store
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, findMessageRow, inApp, requireEnv } from "./support.mjs";

/** The Message-ID header (without brackets) of the stored message `id` sent by `from`. */
function headerMessageId(from, id) {
  const entries = JSON.parse(
    execFileSync(requireEnv("E2E_CLI"), ["--data-dir", requireEnv("E2E_SEEDED_DATA_DIR"), "--json", "timeline", from], {
      encoding: "utf8",
    }),
  );
  const entry = entries.find((e) => e.messageId === id);
  assert.ok(entry?.headerMessageId, `rapport-cli knows no Message-ID for message ${id}`);
  return entry.headerMessageId.replace(/^<|>$/g, "");
}

/** The Maildir flags of the Inbox message with this Message-ID ("" when it has none). */
function serverFlags(messageId) {
  const maildir = requireEnv("E2E_SEEDED_MAILDIR");
  const wanted = `<${messageId}>`.toLowerCase();
  for (const sub of ["cur", "new"]) {
    for (const name of readdirSync(join(maildir, sub))) {
      let text;
      try {
        text = readFileSync(join(maildir, sub, name), "latin1");
      } catch {
        continue; // renamed by Dovecot while we looked
      }
      const head = text.slice(0, text.search(/\r?\n\r?\n/) + 1 || 8192).toLowerCase();
      if (head.includes(`message-id: ${wanted}`)) {
        const flags = name.split(":2,")[1] ?? "";
        return flags;
      }
    }
  }
  throw new Error(`no Inbox message ${messageId} in the Maildir`);
}

async function waitForServerFlags(browser, messageId, wantSeen) {
  await browser.waitUntil(async () => serverFlags(messageId).includes("S") === wantSeen, {
    timeout: UI_TIMEOUT,
    interval: 250,
    timeoutMsg: `the server never ${wantSeen ? "had" : "lost"} \\Seen on ${messageId}`,
  });
}

test("the unified inbox lists conversations and a conversation opens with its messages", async () => {
  await inApp("mail-conversation", requireEnv("E2E_SEEDED_DATA_DIR"), async (browser) => {
    const nav = byTestId(browser, "nav-inbox");
    await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
    await nav.click();
    await byTestId(browser, "message-row").waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.equal((await byTestId(browser, "list-title").getProperty("textContent")).trim(), "Inbox");
    // Virtualised: a screenful of rows in the DOM, not the whole inbox.
    const rendered = await browser.$$('[data-testid="message-row"]').length;
    assert.ok(rendered > 5 && rendered < 60, `${rendered} rows rendered`);
    const folders = await browser.$$('[data-testid="nav-folder"]').length;
    assert.ok(folders >= 2, "the account's folders are in the sidebar");

    const thread = await findMessageRow(browser, ':not([data-message-count="1"])');
    const count = Number(await thread.getAttribute("data-message-count"));
    const threadId = await thread.getAttribute("data-thread-id");
    await thread.click();
    await byTestId(browser, "conversation").waitForDisplayed({ timeout: UI_TIMEOUT });
    await browser.waitUntil(async () => (await browser.$$('[data-testid="conversation-message"]').length) === count, {
      timeout: UI_TIMEOUT,
      timeoutMsg: `the conversation does not show its ${count} messages`,
    });
    const messages = await browser.$$('[data-testid="conversation-message"]');
    // Newest expanded.
    assert.equal(await messages[count - 1].getAttribute("aria-current"), "true");
    await byTestId(browser, "reader-subject").waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.notEqual((await byTestId(browser, "conversation-subject").getProperty("textContent")).trim(), "");
    assert.equal(
      await browser.$(`[data-testid="message-row"][data-thread-id="${threadId}"]`).getAttribute("aria-selected"),
      "true",
    );

    // An earlier message opens in its place.
    await messages[0].click();
    await browser.waitUntil(async () => (await messages[0].getAttribute("aria-current")) === "true", {
      timeout: UI_TIMEOUT,
      timeoutMsg: "the earlier message did not open",
    });
  });
});

test("a message marked read carries \\Seen on the server, and u toggles it", async () => {
  await inApp("mail-read", requireEnv("E2E_SEEDED_DATA_DIR"), async (browser) => {
    const nav = byTestId(browser, "nav-inbox");
    await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
    await nav.click();
    const row = await findMessageRow(browser, '[data-unread="true"][data-message-count="1"]');
    const id = Number(await row.getAttribute("data-message-id"));
    const from = await row.getAttribute("data-from");
    const messageId = headerMessageId(from, id);
    assert.ok(!serverFlags(messageId).includes("S"), "unread on the server to begin with");

    // Opening reads it: at once in the list, and on the server soon after.
    await row.click();
    await byTestId(browser, "conversation").waitForDisplayed({ timeout: UI_TIMEOUT });
    const selector = `[data-testid="message-row"][data-message-id="${id}"]`;
    await browser.waitUntil(async () => (await browser.$(selector).getAttribute("data-unread")) === "false", {
      timeout: UI_TIMEOUT,
      timeoutMsg: "the row still looks unread",
    });
    await waitForServerFlags(browser, messageId, true);

    // u marks it unread again, and u once more read; the list row has the keyboard.
    await browser.$(selector).click();
    await browser.keys("u");
    await waitForServerFlags(browser, messageId, false);
    assert.equal(await browser.$(selector).getAttribute("data-unread"), "true");
    await browser.keys("u");
    await waitForServerFlags(browser, messageId, true);

    // ? shows the help sheet.
    await browser.keys("?");
    await byTestId(browser, "shortcut-help").waitForDisplayed({ timeout: UI_TIMEOUT });
    await browser.keys("Escape");
  });
});
