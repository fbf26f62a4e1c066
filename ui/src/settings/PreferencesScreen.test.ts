import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { language } from "../lib/i18n";
import { theme } from "../lib/theme.svelte";
import PreferencesScreen from "./PreferencesScreen.svelte";

afterEach(() => {
  language.choose("system");
  theme.choose("system");
});

describe("PreferencesScreen", () => {
  it("offers the system language and the five, each named in its own language", () => {
    render(PreferencesScreen);
    const system = screen.getByTestId("language-system");
    expect(within(system).getByRole("radio")).toBeChecked();
    expect(system).toHaveTextContent("System default");
    expect(system).toHaveTextContent("Currently English");
    const names = ["en", "cs", "sk", "pl", "uk"].map((code) => screen.getByTestId(`language-${code}`));
    expect(names.map((label) => label.textContent?.trim())).toEqual([
      "English",
      "Čeština",
      "Slovenčina",
      "Polski",
      "Українська",
    ]);
    expect(within(names[4]!).getByText("Українська")).toHaveAttribute("lang", "uk");
  });

  it("switches the language at once and remembers it", async () => {
    const user = userEvent.setup();
    render(PreferencesScreen);
    await user.click(within(screen.getByTestId("language-cs")).getByRole("radio"));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Předvolby");
    expect(screen.getByTestId("language-system")).toHaveTextContent("Podle systému");
    expect(document.documentElement.lang).toBe("cs");
    expect(localStorage.getItem("rapport.language")).toBe("cs");

    await user.click(within(screen.getByTestId("language-system")).getByRole("radio"));
    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Preferences");
    expect(localStorage.getItem("rapport.language")).toBeNull();
  });

  it("overrides the OS theme with an explicit choice", async () => {
    const user = userEvent.setup();
    render(PreferencesScreen);
    expect(within(screen.getByTestId("theme-system")).getByRole("radio")).toBeChecked();

    await user.click(within(screen.getByTestId("theme-dark")).getByRole("radio"));
    expect(document.documentElement.dataset.theme).toBe("dark");
    expect(localStorage.getItem("rapport.theme")).toBe("dark");

    await user.click(within(screen.getByTestId("theme-light")).getByRole("radio"));
    expect(document.documentElement.dataset.theme).toBe("light");

    await user.click(within(screen.getByTestId("theme-system")).getByRole("radio"));
    expect(document.documentElement.hasAttribute("data-theme")).toBe(false);
  });
});
