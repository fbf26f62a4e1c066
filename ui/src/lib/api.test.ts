import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { openUrl } from "@tauri-apps/plugin-opener";
import { describe, expect, it, vi } from "vitest";
import {
  addAccount,
  discoverSettings,
  listAccounts,
  listFolders,
  onSyncProgress,
  openExternal,
  reconnectAccount,
  removeAccount,
  testConnection,
  updateAccount,
} from "./api";
import { CommandFailure } from "./errors";

vi.mock("@tauri-apps/api/core", () => ({
  invoke: vi.fn(),
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

vi.mock("@tauri-apps/plugin-opener", () => ({ openUrl: vi.fn() }));

vi.mock("@tauri-apps/api/event", () => ({ listen: vi.fn() }));

const mockedInvoke = vi.mocked(invoke);

describe("api", () => {
  it("calls commands by their Rust names with camelCase arguments", async () => {
    mockedInvoke.mockResolvedValue(undefined);
    await removeAccount(4);
    expect(mockedInvoke).toHaveBeenCalledWith("remove_account", { accountId: 4 });
  });

  it("names the wizard's and settings' commands and arguments as the Rust side does", async () => {
    mockedInvoke.mockResolvedValue(undefined);
    await discoverSettings("alice@example.org");
    expect(mockedInvoke).toHaveBeenLastCalledWith("discover_settings", { email: "alice@example.org" });
    await testConnection({} as never);
    expect(mockedInvoke).toHaveBeenLastCalledWith("test_connection", { request: {} });
    await updateAccount(2, {} as never);
    expect(mockedInvoke).toHaveBeenLastCalledWith("update_account", { accountId: 2, update: {} });
    await reconnectAccount(2);
    expect(mockedInvoke).toHaveBeenLastCalledWith("reconnect_account", { accountId: 2 });
    await listFolders(2);
    expect(mockedInvoke).toHaveBeenLastCalledWith("list_folders", { accountId: 2 });
  });

  it("hands the background syncs' events to the handler and returns the unlisten function", async () => {
    const unlisten = vi.fn();
    vi.mocked(listen).mockResolvedValue(unlisten);
    const handler = vi.fn();

    expect(await onSyncProgress(handler)).toBe(unlisten);

    expect(listen).toHaveBeenCalledWith("sync-progress", expect.any(Function));
    const callback = vi.mocked(listen).mock.calls[0]![1];
    const payload = { kind: "paused", accountId: 3, reason: "the password was refused" } as const;
    callback({ event: "sync-progress", id: 1, payload });
    expect(handler).toHaveBeenCalledWith(payload);
  });

  it("opens links through the opener plugin", async () => {
    vi.mocked(openUrl).mockRejectedValue("not allowed by the capability");
    await expect(openExternal("https://example.org/help")).rejects.toMatchObject({
      message: "not allowed by the capability",
    });
    expect(openUrl).toHaveBeenCalledWith("https://example.org/help");
  });

  it("throws the CommandError the command rejected with", async () => {
    mockedInvoke.mockRejectedValue({ code: "auth_failed", message: "Wrong password", field: "password" });
    const error = await addAccount({} as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandFailure);
    expect(error).toMatchObject({ code: "auth_failed", message: "Wrong password", field: "password" });
  });

  it("turns a plain string rejection into an internal CommandError", async () => {
    mockedInvoke.mockRejectedValue("command list_accounts not found");
    await expect(listAccounts()).rejects.toMatchObject({
      code: "internal",
      message: "command list_accounts not found",
      field: null,
    });
  });
});
