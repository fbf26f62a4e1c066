import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { open, save } from "@tauri-apps/plugin-dialog";
import { openUrl } from "@tauri-apps/plugin-opener";
import { describe, expect, it, vi } from "vitest";
import * as api from "./api";
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

vi.mock("@tauri-apps/plugin-dialog", () => ({ open: vi.fn(), save: vi.fn() }));

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

  it("names the CRM commands and arguments as the Rust side does", async () => {
    mockedInvoke.mockResolvedValue(undefined);
    const filter = { query: "jan", stage: null, tag: null, companyId: 3, sort: "name", limit: 100, offset: 0 } as const;
    const cursor = { date: 1_740_000_000, messageId: 9 };
    const update = { displayName: "Jana", stage: "lead", tags: [], notes: "", followUpAt: null };
    const cases: Array<[() => Promise<unknown>, string, Record<string, unknown>]> = [
      [() => api.listContacts(filter), "list_contacts", { filter }],
      [() => api.contactCard(4), "contact_card", { contactId: 4 }],
      [() => api.contactTimeline(4, cursor, 50), "contact_timeline", { contactId: 4, before: cursor, limit: 50 }],
      [() => api.updateContact(4, update), "update_contact", { contactId: 4, update }],
      [() => api.createContact("a@b.cz", null), "create_contact", { address: "a@b.cz", displayName: null }],
      [() => api.addContactAddress(4, "a@b.cz"), "add_contact_address", { contactId: 4, address: "a@b.cz" }],
      [() => api.removeContactAddress(4, "a@b.cz"), "remove_contact_address", { contactId: 4, address: "a@b.cz" }],
      [() => api.mergeContacts(4, 5), "merge_contacts", { keepId: 4, mergeId: 5 }],
      [() => api.deleteContact(4), "delete_contact", { contactId: 4 }],
      [() => api.ignoreCorrespondent("@b.cz"), "ignore_correspondent", { value: "@b.cz" }],
      [() => api.listCompanies(null), "list_companies", { query: null }],
      [() => api.companyPage(3), "company_page", { companyId: 3 }],
      [() => api.unlinkedCorrespondents(200), "unlinked_correspondents", { limit: 200 }],
      [() => api.exportContacts("csv", "/tmp/c.csv"), "export_contacts", { format: "csv", path: "/tmp/c.csv" }],
      [() => api.importContacts("vcard", "/tmp/c.vcf"), "import_contacts", { format: "vcard", path: "/tmp/c.vcf" }],
    ];
    for (const [run, command, args] of cases) {
      await run();
      expect(mockedInvoke).toHaveBeenLastCalledWith(command, args);
    }
  });

  it("asks the dialog plugin for the paths to export to and import from", async () => {
    vi.mocked(save).mockResolvedValue("/home/me/contacts.vcf");
    expect(await api.chooseSavePath("vcard", "contacts.vcf")).toBe("/home/me/contacts.vcf");
    expect(save).toHaveBeenCalledWith({
      defaultPath: "contacts.vcf",
      filters: [{ name: "vCard", extensions: ["vcf", "vcard"] }],
    });

    vi.mocked(open).mockResolvedValue(null);
    expect(await api.chooseContactsFile()).toBeNull();
    expect(open).toHaveBeenCalledWith(expect.objectContaining({ multiple: false, directory: false }));
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
