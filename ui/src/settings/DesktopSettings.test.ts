import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { CommandFailure } from "../lib/errors";
import type { AppSettings } from "../lib/types";
import DesktopSettings from "./DesktopSettings.svelte";

vi.mock("../lib/api", () => ({ appSettings: vi.fn(), setAppSettings: vi.fn(), diagnostics: vi.fn() }));

function defaults(): AppSettings {
  return {
    closeToTray: true,
    startAtLogin: false,
    notifications: { enabled: true, allMail: false, quietHours: { enabled: false, startMinute: 1320, endMinute: 420 } },
  };
}

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.appSettings).mockResolvedValue(defaults());
  vi.mocked(api.setAppSettings).mockImplementation(async (settings) => settings);
});

describe("DesktopSettings", () => {
  it("saves each change at once, quiet hours with their times", async () => {
    const user = userEvent.setup();
    render(DesktopSettings);
    const allMail = within(await screen.findByTestId("notifications-all-mail")).getByRole("checkbox");
    expect(allMail).not.toBeChecked();
    await user.click(allMail);
    expect(api.setAppSettings).toHaveBeenLastCalledWith(
      expect.objectContaining({ notifications: expect.objectContaining({ allMail: true }) }),
    );
    expect(allMail).toBeChecked();

    await user.click(within(screen.getByTestId("quiet-hours")).getByRole("checkbox"));
    const start = await screen.findByTestId("quiet-start");
    expect(start).toHaveValue("22:00");
    expect(screen.getByTestId("quiet-end")).toHaveValue("07:00");
  });

  it("shows why the login item could not be changed, and keeps the old choice", async () => {
    const user = userEvent.setup();
    vi.mocked(api.setAppSettings).mockRejectedValue(
      new CommandFailure({ code: "startAtLogin", message: "Rapport could not change whether it starts at login: denied.", field: "startAtLogin" }),
    );
    render(DesktopSettings);
    const login = within(await screen.findByTestId("start-at-login")).getByRole("checkbox");
    await user.click(login);
    expect(await screen.findByRole("alert")).toHaveTextContent("starts at login: denied");
    expect(login).not.toBeChecked();
  });

  it("shows the diagnostics text to copy", async () => {
    const user = userEvent.setup();
    vi.mocked(api.diagnostics).mockResolvedValue("Rapport 0.1.0\nAccounts: 1");
    render(DesktopSettings);
    await user.click(await screen.findByTestId("copy-diagnostics"));
    expect(await screen.findByTestId("diagnostics-text")).toHaveValue("Rapport 0.1.0\nAccounts: 1");
  });
});
