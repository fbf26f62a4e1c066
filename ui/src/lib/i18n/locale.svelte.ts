// Which language the UI speaks: the user's choice from Preferences, or the first of the
// system's languages (navigator.languages, which WebKitGTK, WebView2 and WKWebView fill
// from the OS) that Rapport has, else English. The locale is reactive state, so every
// t() call in a template re-renders the moment it changes.

export const locales = ["en", "cs", "sk", "pl", "uk"] as const;
export type Locale = (typeof locales)[number];
export type LanguagePreference = Locale | "system";

/**
 * Each language's name in that language, as a language menu shows it: someone looking
 * for their own language should recognise it whatever language the UI is in now.
 */
export const languageNames: Readonly<Record<Locale, string>> = {
  en: "English",
  cs: "Čeština",
  sk: "Slovenčina",
  pl: "Polski",
  uk: "Українська",
};

const storageKey = "rapport.language";
const fallback: Locale = "en";

export function isLocale(value: unknown): value is Locale {
  return typeof value === "string" && (locales as readonly string[]).includes(value);
}

/** The first of `languages` ("cs-CZ", "uk", "en-GB"...) Rapport has, by primary subtag. */
export function matchLocale(languages: readonly string[]): Locale {
  for (const tag of languages) {
    const primary = tag.split(/[-_]/)[0]?.toLowerCase();
    if (isLocale(primary)) return primary;
  }
  return fallback;
}

function systemLanguages(): readonly string[] {
  if (typeof navigator === "undefined") return [];
  if (navigator.languages?.length) return navigator.languages;
  return navigator.language ? [navigator.language] : [];
}

function storedPreference(): LanguagePreference {
  try {
    const stored = globalThis.localStorage?.getItem(storageKey);
    return isLocale(stored) ? stored : "system";
  } catch {
    return "system";
  }
}

function storePreference(preference: LanguagePreference): void {
  try {
    if (preference === "system") globalThis.localStorage?.removeItem(storageKey);
    else globalThis.localStorage?.setItem(storageKey, preference);
  } catch {
    // Private mode or a full disk: the choice lasts until the app closes.
  }
}

export class LanguageSettings {
  /** What the user chose in Preferences. */
  preference = $state<LanguagePreference>("system");
  /** What the system asks for, kept current when the OS language changes. */
  systemLocale = $state<Locale>(fallback);
  /** The language the UI speaks now. */
  readonly locale: Locale = $derived(this.preference === "system" ? this.systemLocale : this.preference);

  constructor() {
    this.preference = storedPreference();
    this.systemLocale = matchLocale(systemLanguages());
    if (typeof window !== "undefined") {
      window.addEventListener("languagechange", () => {
        this.systemLocale = matchLocale(systemLanguages());
        this.applyToDocument();
      });
    }
    this.applyToDocument();
  }

  choose(preference: LanguagePreference): void {
    this.preference = preference;
    storePreference(preference);
    this.applyToDocument();
  }

  /** `<html lang>`, so screen readers, hyphenation and spell checking use the language. */
  private applyToDocument(): void {
    if (typeof document !== "undefined") document.documentElement.lang = this.locale;
  }
}

export const language = new LanguageSettings();
