// @vitest-environment node
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const css = readFileSync(fileURLToPath(new URL("./tokens.css", import.meta.url)), "utf8");

describe("tokens.css", () => {
  /** The declarations of the first rule whose selector is exactly `selector`. */
  function declarations(selector: string): string[] {
    const start = css.indexOf(`${selector} {`);
    expect(start, selector).toBeGreaterThanOrEqual(0);
    const body = css.slice(start + selector.length + 2, css.indexOf("}", start));
    return body
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .split(";")
      .map((d) => d.trim())
      .filter(Boolean);
  }

  it("has one dark palette for the OS setting and the explicit choice", () => {
    const followingOs = declarations(':root:not([data-theme="light"])');
    const chosen = declarations(':root[data-theme="dark"]');
    expect(followingOs.length).toBeGreaterThan(20);
    expect(chosen).toEqual(followingOs);
    // Every colour the light theme sets is set again for dark.
    const lightNames = declarations(":root")
      .filter((d) => /#[0-9a-f]{3,8}\b|rgb\(/i.test(d))
      .map((d) => d.split(":")[0]);
    expect(lightNames.length).toBeGreaterThan(20);
    expect(chosen.map((d) => d.split(":")[0])).toEqual(expect.arrayContaining(lightNames));
  });
});
