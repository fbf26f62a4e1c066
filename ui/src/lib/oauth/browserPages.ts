// What the browser shows when a sign-in with Google or Microsoft ends, in the UI's
// language (the Rust side serves the page; it has no catalogue of its own).
import { t } from "../i18n";
import type { BrowserPages, OAuthProviderId } from "../types";

export function browserPages(): BrowserPages {
  return {
    successTitle: t("oauth.page.successTitle"),
    successBody: t("oauth.page.successBody"),
    failureTitle: t("oauth.page.failureTitle"),
    failureBody: t("oauth.page.failureBody"),
  };
}

/** Provider names are brands: the same in every language. */
export function providerName(provider: OAuthProviderId): string {
  return provider === "google" ? "Google" : "Microsoft";
}
