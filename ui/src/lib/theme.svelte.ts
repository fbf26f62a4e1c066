// Light or dark: following the OS (the default, done by tokens.css through
// prefers-color-scheme) or the user's explicit choice, which tokens.css reads from
// <html data-theme="light|dark"> and which wins over the OS.

export const themePreferences = ["system", "light", "dark"] as const;
export type ThemePreference = (typeof themePreferences)[number];

const storageKey = "rapport.theme";

function isThemePreference(value: unknown): value is ThemePreference {
  return typeof value === "string" && (themePreferences as readonly string[]).includes(value);
}

function storedPreference(): ThemePreference {
  try {
    const stored = globalThis.localStorage?.getItem(storageKey);
    return isThemePreference(stored) ? stored : "system";
  } catch {
    return "system";
  }
}

export class ThemeSettings {
  preference = $state<ThemePreference>("system");

  constructor() {
    this.preference = storedPreference();
    this.applyToDocument();
  }

  choose(preference: ThemePreference): void {
    this.preference = preference;
    try {
      if (preference === "system") globalThis.localStorage?.removeItem(storageKey);
      else globalThis.localStorage?.setItem(storageKey, preference);
    } catch {
      // Private mode or a full disk: the choice lasts until the app closes.
    }
    this.applyToDocument();
  }

  private applyToDocument(): void {
    if (typeof document === "undefined") return;
    const root = document.documentElement;
    if (this.preference === "system") delete root.dataset.theme;
    else root.dataset.theme = this.preference;
  }
}

export const theme = new ThemeSettings();
