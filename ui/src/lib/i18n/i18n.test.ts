// @vitest-environment node
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import en from "./en.json";
import { formatDuration, formatRelativeTime, t, type MessageKey } from ".";

const srcDir = fileURLToPath(new URL("../..", import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(svelte|ts)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

/** Every literal key passed to t(...), and every literal that names a catalogue key. */
function keysUsedIn(source: string): string[] {
  const calls = [...source.matchAll(/\bt\(\s*["'`]([\w.-]+)["'`]/g)].map((m) => m[1]!);
  const namedKeys = [...source.matchAll(/["']((?:accounts|accountForm|common|app|time|wizard|settings|nav|contacts|contact|companies|company|timeline|unlinked|inbox|reader|preferences)\.[\w.-]+)["']/g)].map(
    (m) => m[1]!,
  );
  return [...new Set([...calls, ...namedKeys])];
}

describe("the English catalogue", () => {
  it("has every key the sources use", () => {
    const missing: string[] = [];
    let used = 0;
    for (const file of sourceFiles(srcDir)) {
      for (const key of keysUsedIn(readFileSync(file, "utf8"))) {
        used += 1;
        if (!(key in en)) missing.push(`${relative(srcDir, file)}: ${key}`);
      }
    }
    expect(used).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});

describe("t", () => {
  it("fills placeholders and formats numbers for the locale", () => {
    expect(t("accounts.progress.folder", { folder: "INBOX", done: 1500, total: 12000 })).toBe(
      "INBOX · 1,500 of 12,000",
    );
  });

  it("picks the plural form from the count", () => {
    expect(t("accounts.messageCount", { count: 0 })).toBe("0 messages");
    expect(t("accounts.messageCount", { count: 1 })).toBe("1 message");
    expect(t("accounts.messageCount", { count: 1234 })).toBe("1,234 messages");
  });

  it("returns the key itself for a message it does not know", () => {
    expect(t("no.such.key" as MessageKey)).toBe("no.such.key");
  });
});

describe("formatRelativeTime", () => {
  const now = new Date("2025-03-01T12:00:00Z");
  const ago = (seconds: number) => formatRelativeTime(new Date(now.getTime() - seconds * 1000), now);

  it("says how long ago in the largest whole unit", () => {
    expect(ago(20)).toBe("just now");
    expect(ago(90)).toBe("1 minute ago");
    expect(ago(3 * 60)).toBe("3 minutes ago");
    expect(ago(2 * 3600 + 59)).toBe("2 hours ago");
    expect(ago(26 * 3600)).toBe("yesterday");
    expect(ago(400 * 86400)).toBe("last year");
  });
});

describe("formatDuration", () => {
  it("rounds to the largest sensible unit", () => {
    expect(formatDuration(0)).toBe("1 sec");
    expect(formatDuration(4.6)).toBe("5 sec");
    expect(formatDuration(59.4)).toBe("59 sec");
    expect(formatDuration(150)).toBe("3 min");
    expect(formatDuration(59 * 60)).toBe("59 min");
    expect(formatDuration(5400)).toBe("1.5 hr");
    expect(formatDuration(12 * 3600 + 1000)).toBe("12 hr");
  });
});
