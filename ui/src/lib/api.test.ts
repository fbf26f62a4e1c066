import { invoke } from "@tauri-apps/api/core";
import { describe, expect, it, vi } from "vitest";
import { addAccount, listAccounts, removeAccount } from "./api";
import { CommandFailure } from "./errors";

vi.mock("@tauri-apps/api/core", () => ({
  invoke: vi.fn(),
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

const mockedInvoke = vi.mocked(invoke);

describe("api", () => {
  it("calls commands by their Rust names with camelCase arguments", async () => {
    mockedInvoke.mockResolvedValue(undefined);
    await removeAccount(4);
    expect(mockedInvoke).toHaveBeenCalledWith("remove_account", { accountId: 4 });
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
