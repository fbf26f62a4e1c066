import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import type { AccountSettingsUpdate, AccountSummary, FolderInfo, OAuthProviderId } from "../lib/types";
import { accountSummary } from "../test/fixtures";
import AccountSettingsDialog from "./AccountSettingsDialog.svelte";

vi.mock("../lib/api", () => ({ listFolders: vi.fn() }));

const listFolders = vi.mocked(api.listFolders);

function folder(rawName: string, overrides: Partial<FolderInfo> = {}): FolderInfo {
  return {
    id: 1,
    rawName,
    displayName: rawName,
    role: null,
    selectable: true,
    selected: false,
    messageCount: 0,
    unreadCount: 0,
    ...overrides,
  };
}

const account = accountSummary({
  id: 9,
  email: "alice@example.org",
  senderName: "Alice Example",
  mailboxName: "Work",
  since: "1y",
  keepPolicy: "all",
  contactPolicy: "sent",
  pollIntervalSecs: 900,
  pinnedSha256: "ab12",
});

function renderSettings(
  onSave = vi.fn<(update: AccountSettingsUpdate) => Promise<unknown>>().mockResolvedValue(undefined),
  shown: AccountSummary = account,
) {
  const user = userEvent.setup();
  const onClose = vi.fn();
  const onUseSignIn = vi.fn<(provider: OAuthProviderId) => Promise<AccountSummary>>();
  const onUsePassword = vi.fn<(password: string) => Promise<AccountSummary>>();
  const onCancelSignIn = vi.fn();
  render(AccountSettingsDialog, { account: shown, onSave, onClose, onUseSignIn, onUsePassword, onCancelSignIn });
  return { user, onSave, onClose, onUseSignIn, onUsePassword, onCancelSignIn };
}

beforeEach(() => {
  vi.resetAllMocks();
  listFolders.mockResolvedValue([
    folder("INBOX", { displayName: "Inbox", role: "inbox", selected: true, messageCount: 120 }),
    folder("INBOX.Clients", { displayName: "Clients", selected: true }),
    folder("Sent", { role: "sent", selected: false }),
    folder("Junk", { role: "junk" }),
  ]);
});

describe("account settings", () => {
  it("shows the saved options and the folders the account syncs", async () => {
    renderSettings();
    await screen.findAllByTestId("folder");

    expect(listFolders).toHaveBeenCalledWith(9);
    expect(screen.getByTestId("field-name")).toHaveValue("Alice Example");
    expect(screen.getByTestId("field-mailbox-name")).toHaveValue("Work");
    expect(within(screen.getByTestId("since-1y")).getByRole("radio")).toBeChecked();
    expect(within(screen.getByTestId("contacts-sent")).getByRole("radio")).toBeChecked();
    expect(screen.getByTestId("field-poll-interval")).toHaveValue("900");
    const boxes = screen.getAllByTestId("folder").map((row) => within(row).getByRole("checkbox"));
    expect(boxes.map((box) => (box as HTMLInputElement).checked)).toEqual([true, true, false, false]);
    expect(screen.getAllByTestId("folder")[1]).toHaveStyle("--depth: 1");
    expect(screen.getByTestId("field-new-password")).toHaveValue("");
  });

  it("saves with the password left null when no new one was typed", async () => {
    const { user, onSave, onClose } = renderSettings();
    await screen.findAllByTestId("folder");
    const sent = screen.getAllByTestId("folder").find((row) => row.dataset.rawName === "Sent")!;
    await user.click(within(sent).getByRole("checkbox"));
    await user.click(screen.getByTestId("keep-received"));
    await user.click(screen.getByTestId("settings-save"));

    expect(onSave).toHaveBeenCalledWith({
      senderName: "Alice Example",
      mailboxName: "Work",
      since: "1y",
      keepPolicy: "received",
      contactPolicy: "sent",
      newSendersAreLeads: false,
      pollIntervalSecs: 900,
      folders: ["INBOX", "INBOX.Clients", "Sent"],
      imap: { host: "imap.example.org", port: 993, security: "tls" },
      smtp: { host: "smtp.example.org", port: 465, security: "tls" },
      username: "alice@example.org",
      password: null,
      pinnedSha256: "ab12",
      allowPlaintext: false,
    });
    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it("sends a new password and changed servers", async () => {
    const { user, onSave } = renderSettings();
    await screen.findAllByTestId("folder");
    await user.type(screen.getByTestId("field-new-password"), "new secret");
    await user.click(screen.getByTestId("edit-servers"));
    await user.clear(screen.getByTestId("field-smtp-port"));
    await user.type(screen.getByTestId("field-smtp-port"), "2465");
    await user.click(screen.getByTestId("settings-save"));

    expect(onSave).toHaveBeenCalledWith(
      expect.objectContaining({
        password: "new secret",
        smtp: { host: "smtp.example.org", port: 2465, security: "tls" },
      }),
    );
  });

  it("shows a refusal next to the server field it names", async () => {
    const onSave = vi.fn().mockRejectedValue({
      code: "connection_refused",
      message: "smtp.example.org refused the connection on port 2465.",
      field: "smtpPort",
    });
    const { user, onClose } = renderSettings(onSave);
    await screen.findAllByTestId("folder");
    await user.click(screen.getByTestId("settings-save"));

    expect(await screen.findByTestId("error-smtpPort")).toHaveTextContent("refused the connection");
    expect(screen.getByTestId("edit-servers")).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByTestId("field-smtp-port")).toHaveFocus();
    expect(onClose).not.toHaveBeenCalled();
  });

  it("will not save without a folder to sync", async () => {
    const { user, onSave } = renderSettings();
    await screen.findAllByTestId("folder");
    for (const row of screen.getAllByTestId("folder")) {
      const box = within(row).getByRole("checkbox") as HTMLInputElement;
      if (box.checked) await user.click(box);
    }
    await user.click(screen.getByTestId("settings-save"));

    expect(screen.getByTestId("error-folders")).toHaveTextContent("at least one folder");
    expect(onSave).not.toHaveBeenCalled();
  });

  it("cannot save while the folder list could not be read", async () => {
    listFolders.mockRejectedValue({ code: "internal", message: "database is locked", field: null });
    renderSettings();

    expect(await screen.findByTestId("folders-load-error")).toHaveTextContent("database is locked");
    expect(screen.getByTestId("settings-save")).toBeDisabled();
  });

  it("closes at once when nothing changed", async () => {
    const { user, onClose } = renderSettings();
    await screen.findAllByTestId("folder");
    await user.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it("asks before closing with unsaved changes", async () => {
    const { user, onClose } = renderSettings();
    await screen.findAllByTestId("folder");
    await user.type(screen.getByTestId("field-mailbox-name"), " 2");
    await user.click(screen.getByTestId("settings-cancel"));
    expect(await screen.findByRole("alertdialog")).toHaveTextContent("Discard your changes?");
    expect(onClose).not.toHaveBeenCalled();
  });

  it("offers no switch to a password account whose provider has no sign-in", async () => {
    renderSettings();
    await screen.findAllByTestId("folder");
    expect(screen.queryByTestId("auth-switch")).not.toBeInTheDocument();
  });

  it("moves a Gmail password account to Sign in with Google and says so", async () => {
    const gmail = { ...account, email: "alice@gmail.com", authKind: "password" as const, signInOffer: "google" as const };
    const { user, onUseSignIn, onSave } = renderSettings(undefined, gmail);
    await screen.findAllByTestId("folder");
    // An edit made before the switch stays, and is saved afterwards.
    await user.clear(screen.getByTestId("field-mailbox-name"));
    await user.type(screen.getByTestId("field-mailbox-name"), "Sales");
    onUseSignIn.mockResolvedValue({ ...gmail, authKind: "google", signInOffer: null });
    await user.click(screen.getByTestId("use-sign-in"));

    expect(onUseSignIn).toHaveBeenCalledWith("google");
    expect(await screen.findByTestId("auth-switched")).toHaveTextContent("now signs in with Google");
    expect(screen.getByTestId("settings-oauth")).toBeInTheDocument();
    expect(screen.queryByTestId("field-new-password")).not.toBeInTheDocument();
    expect(screen.getByTestId("field-mailbox-name")).toHaveValue("Sales");
    await user.click(screen.getByTestId("settings-save"));
    expect(onSave).toHaveBeenCalledWith(expect.objectContaining({ mailboxName: "Sales", password: null }));
  });

  it("stays quiet when the browser sign-in is cancelled, and shows any other failure", async () => {
    const gmail = { ...account, email: "alice@gmail.com", signInOffer: "google" as const };
    const { user, onUseSignIn } = renderSettings(undefined, gmail);
    await screen.findAllByTestId("folder");
    onUseSignIn.mockRejectedValueOnce({ code: "oauth_cancelled", message: "The sign-in was cancelled." });
    await user.click(screen.getByTestId("use-sign-in"));
    await vi.waitFor(() => expect(screen.getByTestId("use-sign-in")).toBeEnabled());
    expect(screen.queryByTestId("auth-switch-error")).not.toBeInTheDocument();

    onUseSignIn.mockRejectedValueOnce({ code: "auth_failed", message: "imap.gmail.com refused the sign-in." });
    await user.click(screen.getByTestId("use-sign-in"));
    expect(await screen.findByTestId("auth-switch-error")).toHaveTextContent("refused the sign-in");
    expect(screen.getByTestId("field-new-password")).toBeInTheDocument();
  });

  it("moves a signed-in account to a password, with a refused password shown at the field", async () => {
    const signedIn = { ...account, email: "alice@gmail.com", authKind: "google" as const };
    const { user, onUsePassword } = renderSettings(undefined, signedIn);
    await screen.findAllByTestId("folder");
    expect(screen.queryByTestId("field-new-password")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("use-password-open"));
    await user.click(screen.getByTestId("use-password"));
    expect(onUsePassword).not.toHaveBeenCalled();
    expect(screen.getByTestId("error-switch-password")).toBeInTheDocument();

    onUsePassword.mockRejectedValueOnce({
      code: "auth_failed",
      message: "The server did not accept this password.",
      field: "password",
    });
    await user.type(screen.getByTestId("field-switch-password"), "wrong");
    await user.click(screen.getByTestId("use-password"));
    expect(await screen.findByTestId("error-switch-password")).toHaveTextContent("did not accept");
    expect(screen.getByTestId("settings-oauth")).toBeInTheDocument();

    onUsePassword.mockResolvedValueOnce({ ...signedIn, authKind: "password", signInOffer: "google" });
    await user.clear(screen.getByTestId("field-switch-password"));
    await user.type(screen.getByTestId("field-switch-password"), "app-pass{Enter}");
    expect(onUsePassword).toHaveBeenLastCalledWith("app-pass");
    expect(await screen.findByTestId("auth-switched")).toHaveTextContent("now logs in with the password");
    expect(screen.queryByTestId("settings-oauth")).not.toBeInTheDocument();
    expect(screen.getByTestId("field-new-password")).toBeInTheDocument();
  });
});
