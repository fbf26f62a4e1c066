import { render, screen } from "@testing-library/svelte";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import Sidebar from "../../shell/Sidebar.svelte";
import { MailFolders } from "../../shell/mailFolders.svelte";
import {
  formatDate,
  formatFileSize,
  formatNumber,
  formatRelativeTime,
  language,
  t,
} from ".";
import { matchLocale } from "./locale.svelte";

/** Intl puts no-break spaces between groups and before units; the tests read them as spaces. */
function plain(text: string): string {
  return text.replace(/\s/g, " ");
}

afterEach(() => {
  language.choose("system");
  flushSync();
});

describe("matchLocale", () => {
  it("takes the first system language Rapport has, by its primary subtag", () => {
    expect(matchLocale(["cs-CZ", "en-US"])).toBe("cs");
    expect(matchLocale(["de-DE", "uk-UA", "pl"])).toBe("uk");
    expect(matchLocale(["sk"])).toBe("sk");
    expect(matchLocale(["pl_PL"])).toBe("pl");
    expect(matchLocale(["en-GB", "cs"])).toBe("en");
  });

  it("falls back to English", () => {
    expect(matchLocale(["de-AT", "fr"])).toBe("en");
    expect(matchLocale([])).toBe("en");
  });
});

describe("choosing a language", () => {
  it("starts from the system language, here jsdom's English", () => {
    expect(language.preference).toBe("system");
    expect(language.locale).toBe("en");
    expect(document.documentElement.lang).toBe("en");
  });

  it("switches every message, is remembered and sets <html lang>", () => {
    language.choose("cs");
    expect(language.locale).toBe("cs");
    expect(document.documentElement.lang).toBe("cs");
    expect(localStorage.getItem("rapport.language")).toBe("cs");
    expect(t("nav.inbox")).toBe("Doručená pošta");

    language.choose("system");
    expect(localStorage.getItem("rapport.language")).toBeNull();
    expect(t("nav.inbox")).toBe("Inbox");
  });

  it("re-renders what is on screen at once", () => {
    render(Sidebar, {
      current: "inbox",
      mailView: "inbox",
      mail: new MailFolders(),
      onNavigate: () => {},
      onOpenMail: () => {},
    });
    expect(screen.getByTestId("nav-inbox")).toHaveTextContent("Inbox");
    expect(screen.getByTestId("nav-preferences")).toHaveTextContent("Preferences");

    language.choose("uk");
    flushSync();
    expect(screen.getByTestId("nav-inbox")).toHaveTextContent("Вхідні");
    expect(screen.getByTestId("nav-companies")).toHaveTextContent("Компанії");
    expect(screen.getByRole("navigation")).toHaveAttribute("aria-label", "Головна навігація");

    language.choose("pl");
    flushSync();
    expect(screen.getByTestId("nav-inbox")).toHaveTextContent("Odebrane");
  });
});

describe("plurals, numbers and dates in each language", () => {
  const now = new Date("2025-03-01T12:00:00Z");
  const ago = (seconds: number) => formatRelativeTime(new Date(now.getTime() - seconds * 1000), now);

  it("picks the Czech and Slovak forms for one, a few and many", () => {
    language.choose("cs");
    expect([1, 3, 5, 22, 1234].map((count) => plain(t("accounts.messageCount", { count })))).toEqual([
      "1 zpráva",
      "3 zprávy",
      "5 zpráv",
      "22 zpráv",
      "1 234 zpráv",
    ]);
    expect(t("accountForm.everyMinutes", { count: 15 })).toBe("Každých 15 minut");
    language.choose("sk");
    expect([1, 4, 5].map((count) => t("common.bytes", { count }))).toEqual(["1 bajt", "4 bajty", "5 bajtov"]);
  });

  it("picks the Polish and Ukrainian forms, where 22 is 'few' and 25 'many'", () => {
    language.choose("pl");
    expect([1, 2, 5, 22, 25].map((count) => t("contacts.export.done", { count, path: "/tmp/a.vcf" }))).toEqual([
      "Zapisano 1 kontakt w pliku /tmp/a.vcf",
      "Zapisano 2 kontakty w pliku /tmp/a.vcf",
      "Zapisano 5 kontaktów w pliku /tmp/a.vcf",
      "Zapisano 22 kontakty w pliku /tmp/a.vcf",
      "Zapisano 25 kontaktów w pliku /tmp/a.vcf",
    ]);
    language.choose("uk");
    expect([1, 3, 11, 21, 25].map((count) => t("accounts.subtitle", { count }))).toEqual([
      "Підключено 1 скриньку",
      "Підключено 3 скриньки",
      "Підключено 11 скриньок",
      "Підключено 21 скриньку",
      "Підключено 25 скриньок",
    ]);
  });

  it("formats numbers, sizes, dates and relative times for the language", () => {
    const date = new Date(2025, 2, 4, 9, 5);
    language.choose("cs");
    expect(plain(formatNumber(1234.5))).toBe("1 234,5");
    expect(plain(formatFileSize(12_400))).toBe("12,4 kB");
    expect(plain(formatDate(date))).toBe("4. 3. 2025");
    expect(ago(26 * 3600)).toBe("včera");
    expect(ago(3 * 60)).toBe("před 3 minutami");
    expect(ago(20)).toBe("právě teď");
    language.choose("uk");
    expect(ago(5 * 3600)).toBe("5 годин тому");
    language.choose("en");
    expect(formatFileSize(12_400)).toBe("12.4 kB");
    expect(formatDate(date)).toBe("Mar 4, 2025");
  });

  it("falls back to the English message for a key a catalogue lacks", async () => {
    const { catalogues } = await import(".");
    const czech = catalogues.cs as Record<string, unknown>;
    const saved = czech["inbox.threadCount"];
    delete czech["inbox.threadCount"];
    try {
      language.choose("cs");
      // English wording and English plural rules, with the number in Czech style.
      expect(t("inbox.threadCount", { count: 2 })).toBe("2 messages in this conversation");
      expect(t("inbox.threadCount", { count: 1 })).toBe("1 message in this conversation");
    } finally {
      czech["inbox.threadCount"] = saved;
    }
  });
});
