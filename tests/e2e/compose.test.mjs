// Compose and send in the built app: reply to a message from the reader, see the reply
// arrive in the correspondent's mailbox on the harness server, and find it in their
// contact timeline at once (stored locally when sent, not at the next sync).
//   E2E_COMPOSE_DATA_DIR      a synced data folder holding one question from E2E_COMPOSE_PEER
//   E2E_COMPOSE_PEER_MAILDIR  that correspondent's Maildir on the harness server
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, findMessageRow, inApp, requireEnv, screenshot } from "./support.mjs";

/** The raw messages in a Maildir's new/ and cur/ folders. */
function maildirMessages(maildir) {
  const out = [];
  for (const sub of ["new", "cur"]) {
    let names = [];
    try {
      names = readdirSync(join(maildir, sub));
    } catch {
      continue;
    }
    for (const name of names) out.push(readFileSync(join(maildir, sub, name), "utf8"));
  }
  return out;
}

test("a reply written in the reader is delivered and shows in the contact's timeline at once", async () => {
  const peer = requireEnv("E2E_COMPOSE_PEER");
  const peerMaildir = requireEnv("E2E_COMPOSE_PEER_MAILDIR");
  await inApp("compose-reply", requireEnv("E2E_COMPOSE_DATA_DIR"), async (browser) => {
    const nav = byTestId(browser, "nav-inbox");
    await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
    await nav.click();
    const row = await findMessageRow(browser, `[data-from="${peer}"]`);
    await row.click();
    await byTestId(browser, "reader").waitForDisplayed({ timeout: UI_TIMEOUT });

    await byTestId(browser, "action-reply").click();
    const compose = byTestId(browser, "compose");
    await compose.waitForDisplayed({ timeout: UI_TIMEOUT });
    assert.match(await byTestId(browser, "compose-to").getValue(), new RegExp(peer.replace(".", "\\.")));
    assert.equal(await byTestId(browser, "compose-subject").getValue(), "Re: Quarterly offer");
    const body = byTestId(browser, "compose-body");
    await browser.waitUntil(async () => (await body.getText()).includes("Could you send the quarterly offer?"), {
      timeout: UI_TIMEOUT,
      timeoutMsg: "the reply does not quote the question",
    });
    // The cursor starts above the quote.
    await body.click();
    await browser.execute(() => {
      const editor = document.querySelector('[data-testid="compose-body"]');
      const first = editor?.firstElementChild;
      if (!editor || !first) return;
      const range = document.createRange();
      range.selectNodeContents(first);
      range.collapse(true);
      const selection = window.getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
    });
    // Element Send Keys keeps the caret of a focused editor (browser.keys drops a repeated
    // letter on WebKitWebDriver).
    await body.addValue("The offer is on its way.");
    await screenshot(browser, "compose-reply-form");
    await browser.keys(["Control", "Enter"]);
    await compose.waitForDisplayed({ timeout: UI_TIMEOUT, reverse: true });

    // Delivered to the correspondent with the threading headers.
    await browser.waitUntil(
      async () => maildirMessages(peerMaildir).some((m) => m.includes("Subject: Re: Quarterly offer")),
      { timeout: UI_TIMEOUT, timeoutMsg: "the reply did not reach the correspondent's mailbox" },
    );
    const reply = maildirMessages(peerMaildir).find((m) => m.includes("Subject: Re: Quarterly offer"));
    assert.match(reply, /In-Reply-To: <question-1@acme\.test>/);
    assert.match(reply, /The offer is on its way\./);

    // In their timeline, next to the question.
    const chip = browser.$(`[data-testid="person-chip"][data-address="${peer}"]`);
    await chip.waitForDisplayed({ timeout: UI_TIMEOUT });
    await chip.click();
    await byTestId(browser, "contact-card").waitForDisplayed({ timeout: UI_TIMEOUT });
    await browser.waitUntil(
      async () => (await browser.$$('[data-testid="timeline-entry"][data-direction="out"]')).length === 1,
      { timeout: UI_TIMEOUT, timeoutMsg: "the reply is not in the contact's timeline" },
    );
    assert.equal((await browser.$$('[data-testid="timeline-entry"]')).length, 2);
  });
});
