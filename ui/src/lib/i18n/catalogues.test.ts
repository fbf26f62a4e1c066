// @vitest-environment node
// Every language's catalogue against en.json: the same keys, the same placeholders in each
// message, and exactly the plural forms Intl.PluralRules picks from for that language.
// A failure lists the keys to add, remove or fix; `npm run i18n:missing` prints the English
// text of the missing ones, ready to translate.
import { describe, expect, it } from "vitest";
import { catalogues, locales, type Locale } from ".";

type Message = string | Record<string, string>;
const english = catalogues.en as Record<string, Message>;
const translations = locales.filter((locale) => locale !== "en");

function texts(message: Message): string[] {
  return typeof message === "string" ? [message] : Object.values(message);
}

function placeholders(message: Message): string[] {
  const names = texts(message).flatMap((text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!));
  return [...new Set(names)].sort();
}

function pluralCategories(locale: Locale): string[] {
  return [...new Intl.PluralRules(locale).resolvedOptions().pluralCategories].sort();
}

describe.each(locales)("the %s catalogue", (locale) => {
  const catalogue = catalogues[locale] as Record<string, Message>;

  it("has exactly the keys of en.json", () => {
    const missing = Object.keys(english).filter((key) => !(key in catalogue));
    const extra = Object.keys(catalogue).filter((key) => !(key in english));
    expect(missing, `keys ${locale}.json lacks`).toEqual([]);
    expect(extra, `keys ${locale}.json has that en.json does not`).toEqual([]);
  });

  it("keeps each message's placeholders and shape", () => {
    const wrong: string[] = [];
    for (const [key, source] of Object.entries(english)) {
      const message = catalogue[key];
      if (message === undefined) continue;
      if (typeof message !== typeof source) wrong.push(`${key}: plural in one language, plain in the other`);
      else if (placeholders(message).join() !== placeholders(source).join()) {
        wrong.push(`${key}: {${placeholders(message).join("}, {")}} instead of {${placeholders(source).join("}, {")}}`);
      }
      if (texts(message).some((text) => text.trim() === "")) wrong.push(`${key}: empty`);
    }
    expect(wrong).toEqual([]);
  });

  it("gives every plural message exactly the forms the language needs", () => {
    const needed = pluralCategories(locale);
    const wrong = Object.entries(catalogue)
      .filter(([, message]) => typeof message === "object")
      .filter(([, forms]) => Object.keys(forms).sort().join() !== needed.join())
      .map(([key, forms]) => `${key}: ${Object.keys(forms).sort().join(", ")} (needs ${needed.join(", ")})`);
    expect(wrong).toEqual([]);
  });
});

describe("the translations", () => {
  it("cover the five languages, and the plural rules differ where they should", () => {
    expect([...locales]).toEqual(["en", "cs", "sk", "pl", "uk"]);
    expect(pluralCategories("en")).toEqual(["one", "other"]);
    for (const locale of translations) expect(pluralCategories(locale)).toEqual(["few", "many", "one", "other"]);
  });

  it("are translated, not copied: most messages differ from the English", () => {
    for (const locale of translations) {
      const catalogue = catalogues[locale] as Record<string, Message>;
      const same = Object.keys(english).filter((key) => JSON.stringify(catalogue[key]) === JSON.stringify(english[key]));
      // Brand names, protocol names and host placeholders stay as they are.
      expect(same.length, `${locale}: ${same.join(", ")}`).toBeLessThan(20);
    }
  });
});
