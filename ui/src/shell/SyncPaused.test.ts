import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { language } from "../lib/i18n";
import SyncPaused from "./SyncPaused.svelte";

vi.mock("../lib/api", () => ({
  syncPaused: vi.fn(),
  setSyncPaused: vi.fn(),
  onSyncPaused: vi.fn(),
}));

/** The tray's "Pause sync": `emit` sends a "sync-paused" event to the banner. */
function listenForPauses(): (paused: boolean) => void {
  let handler: ((paused: boolean) => void) | undefined;
  vi.mocked(api.onSyncPaused).mockImplementation(async (h) => {
    handler = h;
    return () => {};
  });
  return (paused) => handler?.(paused);
}

beforeEach(() => {
  vi.resetAllMocks();
  language.choose("en");
  vi.mocked(api.setSyncPaused).mockResolvedValue(undefined);
});

describe("SyncPaused", () => {
  it("shows nothing while sync runs and appears when the tray pauses it", async () => {
    vi.mocked(api.syncPaused).mockResolvedValue(false);
    const emit = listenForPauses();
    render(SyncPaused);
    await vi.waitFor(() => expect(api.onSyncPaused).toHaveBeenCalled());
    expect(screen.queryByTestId("sync-paused")).not.toBeInTheDocument();
    emit(true);
    expect(await screen.findByTestId("sync-paused")).toHaveTextContent("Sync is paused");
    emit(false);
    await vi.waitFor(() => expect(screen.queryByTestId("sync-paused")).not.toBeInTheDocument());
  });

  it("knows a pause made before the window opened, and Resume resumes", async () => {
    vi.mocked(api.syncPaused).mockResolvedValue(true);
    listenForPauses();
    render(SyncPaused);
    const banner = await screen.findByTestId("sync-paused");
    await userEvent.click(screen.getByRole("button", { name: "Resume" }));
    expect(api.setSyncPaused).toHaveBeenCalledWith(false);
    await vi.waitFor(() => expect(banner).not.toBeInTheDocument());
  });

  it("stays, and says so, when resuming fails", async () => {
    vi.mocked(api.syncPaused).mockResolvedValue(true);
    vi.mocked(api.setSyncPaused).mockRejectedValue(new Error("gone"));
    listenForPauses();
    render(SyncPaused);
    await screen.findByTestId("sync-paused");
    await userEvent.click(screen.getByRole("button", { name: "Resume" }));
    expect(await screen.findByText("Could not resume: try again")).toBeInTheDocument();
    expect(screen.getByTestId("sync-paused")).toBeInTheDocument();
  });
});
