// @vitest-environment node
// No component shows text that skips the catalogues: every text node and every attribute
// people read or hear (aria-label, title, placeholder, alt, and the label props of our own
// components) must come from an expression such as {t("key")}, never a literal.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const srcDir = fileURLToPath(new URL("../..", import.meta.url));

const readAttributes = [
  "aria-label",
  "aria-description",
  "aria-placeholder",
  "aria-roledescription",
  "aria-valuetext",
  "title",
  "placeholder",
  "alt",
  "label",
  "hint",
  "description",
  "confirmLabel",
  "cancelLabel",
];

function svelteFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return svelteFiles(path);
    return name.endsWith(".svelte") ? [path] : [];
  });
}

/** The markup with scripts, styles and comments gone and each {expression} blanked out. */
function markupOnly(source: string): string {
  const markup = source
    .replace(/<script[\s\S]*?<\/script>/g, "")
    .replace(/<style[\s\S]*?<\/style>/g, "")
    .replace(/<!--[\s\S]*?-->/g, "");
  let out = "";
  let depth = 0;
  for (const ch of markup) {
    if (ch === "{") {
      if (depth === 0) out += " ";
      depth += 1;
    } else if (ch === "}" && depth > 0) depth -= 1;
    else if (depth === 0) out += ch;
  }
  return out;
}

/** Literal text a reader would see: letters in a text node or a read attribute. */
function hardcodedText(source: string): string[] {
  const markup = markupOnly(source);
  const found: string[] = [];
  const attribute = new RegExp(`\\s(${readAttributes.join("|")})\\s*=\\s*(?:"([^"]*)"|'([^']*)')`, "g");
  for (const match of markup.matchAll(attribute)) {
    const value = (match[2] ?? match[3] ?? "").trim();
    if (/\p{L}/u.test(value)) found.push(`${match[1]}="${value}"`);
  }
  for (const segment of markup.replace(/<[^>]*>/g, "\u0000").split("\u0000")) {
    const text = segment.trim();
    if (/\p{L}/u.test(text)) found.push(`text "${text.replace(/\s+/g, " ")}"`);
  }
  return found;
}

describe("hard-coded text", () => {
  it("is found by the scan when present", () => {
    const sample = `<script>let a = "not shown";</script>
      <button title="Close" aria-label={t("common.close")}>Save {count} now</button>
      {#if a > b}<span placeholder='Type here'>{t("x")}</span>{/if}
      <Dialog confirmLabel="Delete" />
      <style>.a::after { content: "x"; }</style>`;
    expect(hardcodedText(sample)).toEqual([
      'title="Close"',
      'placeholder="Type here"',
      'confirmLabel="Delete"',
      'text "Save now"',
    ]);
  });

  it("is in no component", () => {
    const files = svelteFiles(srcDir);
    expect(files.length).toBeGreaterThan(30);
    const offenders = files.flatMap((file) =>
      hardcodedText(readFileSync(file, "utf8")).map((text) => `${relative(srcDir, file)}: ${text}`),
    );
    expect(offenders).toEqual([]);
  });
});
