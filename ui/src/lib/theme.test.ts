import { afterEach, describe, expect, it } from "vitest";
import { theme } from "./theme.svelte";

afterEach(() => theme.choose("system"));

describe("the theme choice", () => {
  it("follows the OS by default, with no attribute on <html>", () => {
    expect(theme.preference).toBe("system");
    expect(document.documentElement.hasAttribute("data-theme")).toBe(false);
  });

  it("sets <html data-theme> for an explicit choice and remembers it", () => {
    theme.choose("dark");
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(localStorage.getItem("rapport.theme")).toBe("dark");
    theme.choose("light");
    expect(document.documentElement.dataset.theme).toBe("light");
    theme.choose("system");
    expect(document.documentElement.hasAttribute("data-theme")).toBe(false);
    expect(localStorage.getItem("rapport.theme")).toBeNull();
  });
});
