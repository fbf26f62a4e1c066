// What the link confirmation shows: where a clicked link really goes, and whether the
// text the sender wrote on it pretends to go somewhere else ("paypal.com" on a link to
// another site). The HTML is parsed with DOMParser, which builds an inert document: no
// script runs and nothing loads.

export interface LinkTarget {
  /** The URL as the webview reported it. */
  url: string;
  /** "https", "http" or "mailto". */
  kind: "web" | "mail";
  /** The host (web) or the address (mail) it really goes to; punycode stays visible. */
  destination: string;
  /** The link text when it names another site or address than `destination`. */
  misleadingText: string | null;
}

const hostPattern = /(?:[a-z][a-z0-9+.-]*:\/\/)?((?:[a-z0-9\u00a1-\uffff-]+\.)+[a-z\u00a1-\uffff]{2,})(?::\d+)?(?:[/?#]\S*)?/i;
const addressPattern = /[^\s@<>()"']+@((?:[a-z0-9\u00a1-\uffff-]+\.)+[a-z\u00a1-\uffff]{2,})/i;

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

function bareHost(host: string): string {
  let bare = host.toLowerCase().replace(/\.$/, "");
  try {
    // The same punycode form URL gives the real target, so "exämple.com" compares equal.
    bare = new URL(`http://${bare}`).hostname;
  } catch {
    // Not a host name after all: compared as written.
  }
  return bare.replace(/^www\./, "");
}

/** Whether `shown` (a host from the link text) is `real` or a parent domain of it. */
function coversHost(shown: string, real: string): boolean {
  const a = bareHost(shown);
  const b = bareHost(real);
  return a === b || b.endsWith(`.${a}`);
}

/** Texts of the links in `html` that point at `url`. */
function linkTexts(url: string, html: string | null): string[] {
  if (!html || typeof DOMParser === "undefined") return [];
  const doc = new DOMParser().parseFromString(html, "text/html");
  return [...doc.querySelectorAll("a[href]")]
    .filter((a) => sameUrl(a.getAttribute("href") ?? "", url))
    .map((a) => (a.textContent ?? "").replace(/\s+/g, " ").trim())
    .filter((text) => text.length > 0);
}

/** Describes a clicked link; null when it is not one Rapport opens (not web or mail). */
export function describeLink(url: string, html: string | null): LinkTarget | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const texts = linkTexts(url, html);
  if (parsed.protocol === "http:" || parsed.protocol === "https:") {
    const misleading = texts.find((text) => {
      const match = hostPattern.exec(text);
      return match?.[1] !== undefined && !coversHost(match[1], parsed.hostname);
    });
    return { url: parsed.href, kind: "web", destination: parsed.hostname, misleadingText: misleading ?? null };
  }
  if (parsed.protocol === "mailto:") {
    const address = decodeURIComponent(parsed.pathname).toLowerCase();
    const misleading = texts.find((text) => {
      const shownAddress = addressPattern.exec(text);
      if (shownAddress) return shownAddress[0].toLowerCase() !== address;
      const shownHost = hostPattern.exec(text);
      return shownHost?.[1] !== undefined && !coversHost(shownHost[1], address.split("@")[1] ?? "");
    });
    return { url: parsed.href, kind: "mail", destination: address, misleadingText: misleading ?? null };
  }
  return null;
}
