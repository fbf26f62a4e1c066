// Languages and themes in the built app over WebDriver, on the seeded mailbox:
// choose Czech in Preferences and see the sidebar, the inbox and the reader in Czech at
// once and again after a relaunch, then go back to the system language; choose Dark and
// Light and see the palette change, with screenshots of the inbox and the reader in both.
//   E2E_SEEDED_DATA_DIR   the synced data folder (see accounts.test.mjs)
// The tests share one WebKit profile, so each puts the saved choices back when it ends.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UI_TIMEOUT, byTestId, inApp, requireEnv, screenshot } from "./support.mjs";

const LIGHT_BACKGROUND = "rgb(247, 247, 248)"; // --bg of tokens.css, light
const DARK_BACKGROUND = "rgb(20, 20, 24)"; // --bg of tokens.css, dark

async function go(browser, view) {
  const nav = byTestId(browser, `nav-${view}`);
  await nav.waitForDisplayed({ timeout: UI_TIMEOUT });
  await nav.click();
}

/** The text of an element; of a sidebar item, its label without the unread count. */
async function textOf(browser, testId) {
  const element = byTestId(browser, testId);
  const label = element.$(".name");
  // Read the content: WebKitWebDriver's visible text of an ellipsised line is empty.
  const target = (await label.isExisting()) ? label : element;
  return (await target.getProperty("textContent")).trim();
}

async function waitForText(browser, testId, expected) {
  await browser.waitUntil(async () => (await textOf(browser, testId)) === expected, {
    timeout: UI_TIMEOUT,
    timeoutMsg: `${testId} does not read "${expected}"`,
  });
}

/** Clicks the label of a choice in Preferences (its radio is visually hidden). */
async function choose(browser, testId) {
  await go(browser, "preferences");
  const choice = byTestId(browser, testId);
  await choice.waitForDisplayed({ timeout: UI_TIMEOUT });
  await choice.click();
  assert.equal(await choice.$("input").isSelected(), true, `${testId} is not selected`);
}

async function forgetChoices(browser) {
  await browser.execute(() => {
    localStorage.removeItem("rapport.language");
    localStorage.removeItem("rapport.theme");
  });
}

async function openFirstMessage(browser) {
  await go(browser, "inbox");
  const row = byTestId(browser, "message-row");
  await row.waitForDisplayed({ timeout: UI_TIMEOUT });
  await row.click();
  await byTestId(browser, "reader-subject").waitForDisplayed({ timeout: UI_TIMEOUT });
}

test("Czech chosen in Preferences relabels the sidebar, inbox and reader at once and is remembered", async () => {
  const dataDir = requireEnv("E2E_SEEDED_DATA_DIR");
  await inApp("language-czech", dataDir, async (browser) => {
    try {
      await go(browser, "inbox");
      await waitForText(browser, "nav-inbox", "Inbox");
      await choose(browser, "language-cs");
      // The whole window follows without a reload.
      await waitForText(browser, "nav-inbox", "Doručená pošta");
      assert.equal(await textOf(browser, "nav-companies"), "Firmy");
      assert.equal(await textOf(browser, "nav-preferences"), "Předvolby");
      assert.equal(await browser.execute(() => document.documentElement.lang), "cs");

      await openFirstMessage(browser);
      assert.equal((await browser.$("main > .view:not([hidden]) h1").getProperty("textContent")).trim(), "Doručená pošta");
      assert.equal((await browser.$('[data-testid="reader"] dt').getText()).trim(), "Od");
      await screenshot(browser, "inbox-czech");
    } catch (error) {
      await forgetChoices(browser);
      throw error;
    }
  });

  await inApp("language-czech-relaunch", dataDir, async (browser) => {
    try {
      await waitForText(browser, "nav-inbox", "Doručená pošta");
      await choose(browser, "language-system");
      // Back to the system's language, which is English under the test runner.
      await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.lang)) !== "cs", {
        timeout: UI_TIMEOUT,
        timeoutMsg: "still in Czech after choosing the system language",
      });
      assert.equal(await browser.execute(() => localStorage.getItem("rapport.language")), null);
      if ((await browser.execute(() => document.documentElement.lang)) === "en") {
        await waitForText(browser, "nav-inbox", "Inbox");
        assert.equal(await textOf(browser, "nav-preferences"), "Preferences");
      }
    } finally {
      await forgetChoices(browser);
    }
  });
});

test("the Dark theme sets the dark palette; the inbox and reader in both themes", async () => {
  const dataDir = requireEnv("E2E_SEEDED_DATA_DIR");
  const background = (browser) => browser.execute(() => getComputedStyle(document.body).backgroundColor);
  const theme = (browser) => browser.execute(() => document.documentElement.getAttribute("data-theme"));
  await inApp("theme", dataDir, async (browser) => {
    try {
      await choose(browser, "theme-light");
      assert.equal(await theme(browser), "light");
      assert.equal(await background(browser), LIGHT_BACKGROUND);
      await go(browser, "inbox");
      await byTestId(browser, "message-row").waitForDisplayed({ timeout: UI_TIMEOUT });
      await screenshot(browser, "inbox-light");

      await choose(browser, "theme-dark");
      assert.equal(await theme(browser), "dark");
      assert.equal(await background(browser), DARK_BACKGROUND);
      await go(browser, "inbox");
      await byTestId(browser, "message-row").waitForDisplayed({ timeout: UI_TIMEOUT });
      await screenshot(browser, "inbox-dark");

      await openFirstMessage(browser);
      await screenshot(browser, "reader-dark");
      await choose(browser, "theme-light");
      assert.equal(await background(browser), LIGHT_BACKGROUND);
      await go(browser, "inbox");
      await byTestId(browser, "reader-subject").waitForDisplayed({ timeout: UI_TIMEOUT });
      await screenshot(browser, "reader-light");

      await choose(browser, "theme-system");
      assert.equal(await theme(browser), null);
      assert.equal(await browser.execute(() => localStorage.getItem("rapport.theme")), null);
    } finally {
      await forgetChoices(browser);
    }
  });
});
