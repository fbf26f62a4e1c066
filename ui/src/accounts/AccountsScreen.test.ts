import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import type { SyncOutcome, SyncProgress } from "../lib/types";
import { accountSummary, connectionReport, deferred, discoveredSettings } from "../test/fixtures";
import AccountsScreen from "./AccountsScreen.svelte";

vi.mock("../lib/api", () => ({
  listAccounts: vi.fn(),
  addAccount: vi.fn(),
  removeAccount: vi.fn(),
  syncAccount: vi.fn(),
  discoverSettings: vi.fn(),
  testConnection: vi.fn(),
  listFolders: vi.fn(),
  updateAccount: vi.fn(),
  reconnectAccount: vi.fn(),
  onSyncProgress: vi.fn(),
  oauthSignIn: vi.fn(),
  signInAgain: vi.fn(),
  cancelOAuthSignIn: vi.fn(),
  openExternal: vi.fn(),
  getSignature: vi.fn(),
  saveSignature: vi.fn(),
}));

const listAccounts = vi.mocked(api.listAccounts);
const addAccount = vi.mocked(api.addAccount);
const removeAccount = vi.mocked(api.removeAccount);
const syncAccount = vi.mocked(api.syncAccount);
const discoverSettings = vi.mocked(api.discoverSettings);
const testConnection = vi.mocked(api.testConnection);
const listFolders = vi.mocked(api.listFolders);
const updateAccount = vi.mocked(api.updateAccount);
const reconnectAccount = vi.mocked(api.reconnectAccount);
const onSyncProgress = vi.mocked(api.onSyncProgress);
const oauthSignIn = vi.mocked(api.oauthSignIn);
const signInAgain = vi.mocked(api.signInAgain);
const cancelOAuthSignIn = vi.mocked(api.cancelOAuthSignIn);

/** The app's background syncs: `emit` sends a "sync-progress" event to the screen. */
let background: { emit: (event: SyncProgress) => void; unlisten: ReturnType<typeof vi.fn> };

/** Holds sync_account open and hands its progress callback to the test. */
function holdSync() {
  const outcome = deferred<SyncOutcome>();
  const progress: { emit: (event: SyncProgress) => void } = { emit: () => {} };
  syncAccount.mockImplementation((_id, onProgress) => {
    progress.emit = onProgress;
    return outcome.promise;
  });
  return { outcome, progress };
}

beforeEach(() => {
  vi.resetAllMocks();
  const unlisten = vi.fn();
  background = { emit: () => {}, unlisten };
  onSyncProgress.mockImplementation(async (handler) => {
    background.emit = handler;
    return unlisten;
  });
});

const folderEvent = (accountId: number, folder: string, done: number, total: number) =>
  ({ kind: "folder", accountId, folder, done, total, rate: 0, etaSecs: null }) as const;

describe("AccountsScreen", () => {
  it("invites the user to add a mailbox when there is none", async () => {
    listAccounts.mockResolvedValue([]);
    render(AccountsScreen);

    const empty = await screen.findByTestId("empty-state");
    expect(within(empty).getByRole("heading")).toHaveTextContent("Connect your first mailbox");
    expect(within(empty).getByTestId("add-mailbox")).toHaveTextContent("Add mailbox");
    expect(screen.getAllByTestId("add-mailbox")).toHaveLength(1);
  });

  it("opens the wizard from the empty state", async () => {
    listAccounts.mockResolvedValue([]);
    const user = userEvent.setup();
    render(AccountsScreen);

    await user.click(await screen.findByTestId("add-mailbox"));

    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveAttribute("data-testid", "wizard");
    expect(dialog).toHaveAccessibleName("Add a mailbox");
    expect(within(dialog).getByTestId("wizard-step")).toHaveAttribute("data-step", "address");
  });

  it("lists accounts with pluralised counts and their last sync", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-03-01T12:00:00Z") });
    listAccounts.mockResolvedValue([
      accountSummary({ id: 1, email: "alice@example.org", messageCount: 1 }),
      accountSummary({
        id: 2,
        email: "bob@example.net",
        mailboxName: "Work",
        messageCount: 1234,
        lastSyncAt: "2025-03-01T11:57:00Z",
      }),
    ]);
    render(AccountsScreen);

    const rows = await screen.findAllByTestId("account-row");
    expect(rows.map((row) => row.dataset.email)).toEqual(["alice@example.org", "bob@example.net"]);
    const [alice, bob] = rows as [HTMLElement, HTMLElement];
    expect(within(alice).getByTestId("account-message-count")).toHaveTextContent("1 message");
    expect(within(alice).getByTestId("account-last-sync")).toHaveTextContent("Never synced");
    expect(within(bob).getByTestId("account-message-count")).toHaveTextContent("1,234 messages");
    expect(within(bob).getByTestId("account-last-sync")).toHaveTextContent("Synced 3 minutes ago");
    expect(within(bob).getByTestId("account-state")).toHaveTextContent("Up to date");
    expect(within(bob).getByText("bob@example.net")).toBeInTheDocument();
    expect(screen.getByText("2 mailboxes connected")).toBeInTheDocument();
    vi.useRealTimers();
  });

  it("edits a mailbox's signatures from its row", async () => {
    const user = userEvent.setup();
    listAccounts.mockResolvedValue([accountSummary({ id: 2, email: "bob@example.net", mailboxName: "Work" })]);
    vi.mocked(api.getSignature).mockResolvedValue({ accountId: 2, newHtml: "<p>Bob</p>", replyHtml: "", aboveQuote: false });
    vi.mocked(api.saveSignature).mockImplementation(async (signature) => signature);
    render(AccountsScreen);

    await user.click(await screen.findByRole("button", { name: "Signature of Work" }));
    const source = await screen.findByTestId("signature-new");
    await vi.waitFor(() => expect(source).toHaveValue("<p>Bob</p>"));
    expect(api.getSignature).toHaveBeenCalledWith(2);
    await user.clear(source);
    await user.type(source, "Bob Novak");
    await user.click(screen.getByTestId("signature-save"));
    expect(api.saveSignature).toHaveBeenCalledWith({ accountId: 2, newHtml: "Bob Novak", replyHtml: "", aboveQuote: false });
    await vi.waitFor(() => expect(screen.queryByTestId("signature-dialog")).not.toBeInTheDocument());
  });

  it("shows why an account is paused and its last error", async () => {
    listAccounts.mockResolvedValue([
      accountSummary({ state: "paused", pausedReason: "the password was refused", lastError: "Login failed" }),
    ]);
    render(AccountsScreen);

    const row = await screen.findByTestId("account-row");
    expect(row).toHaveAttribute("data-state", "paused");
    expect(within(row).getByTestId("account-state")).toHaveTextContent("Paused: the password was refused");
    expect(within(row).getByTestId("account-error")).toHaveTextContent("Login failed");
  });

  it("follows sync progress events on the account's bar", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 7, messageCount: 10, lastSyncAt: "2025-03-01T11:00:00Z" })]);
    const { outcome, progress } = holdSync();
    const user = userEvent.setup();
    render(AccountsScreen);

    await user.click(await screen.findByTestId("sync-now"));
    expect(syncAccount).toHaveBeenCalledWith(7, expect.any(Function));
    const row = screen.getByTestId("account-row");
    expect(row).toHaveAttribute("data-state", "syncing");
    expect(within(row).getByTestId("sync-now")).toBeDisabled();
    expect(within(row).getByRole("progressbar")).not.toHaveAttribute("aria-valuenow");

    progress.emit({ kind: "started", accountId: 7 });
    progress.emit(folderEvent(7, "INBOX", 50, 200));
    await vi.waitFor(() => expect(within(row).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "25"));
    expect(within(row).getByTestId("sync-progress")).toHaveTextContent("INBOX · 50 of 200");

    progress.emit(folderEvent(7, "Sent", 3, 4));
    await vi.waitFor(() => expect(within(row).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "75"));
    expect(within(row).getByTestId("sync-progress")).toHaveTextContent("Sent · 3 of 4");

    listAccounts.mockResolvedValue([accountSummary({ id: 7, messageCount: 14, lastSyncAt: new Date().toISOString() })]);
    progress.emit({ kind: "finished", accountId: 7, newMessages: 4, messageCount: 14 });
    outcome.resolve({ newMessages: 4, messageCount: 14 });

    await vi.waitFor(() => expect(within(row).queryByTestId("sync-progress")).not.toBeInTheDocument());
    expect(row).toHaveAttribute("data-state", "up-to-date");
    expect(within(row).getByTestId("account-message-count")).toHaveTextContent("14 messages");
    expect(within(row).getByTestId("account-last-sync")).toHaveTextContent("Synced just now");
  });

  it("shows a failed sync on the row", async () => {
    listAccounts.mockResolvedValue([accountSummary({ lastSyncAt: "2025-03-01T11:00:00Z" })]);
    syncAccount.mockRejectedValue({ code: "network", message: "The server could not be reached.", field: null });
    const user = userEvent.setup();
    render(AccountsScreen);

    await user.click(await screen.findByTestId("sync-now"));

    const row = screen.getByTestId("account-row");
    await vi.waitFor(() => expect(row).toHaveAttribute("data-state", "failed"));
    expect(within(row).getByTestId("account-error")).toHaveTextContent("The server could not be reached.");
  });

  it("shows a background sync's progress with its rate and time left", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 7, lastSyncAt: "2025-03-01T11:00:00Z" })]);
    render(AccountsScreen);
    const row = await screen.findByTestId("account-row");
    expect(onSyncProgress).toHaveBeenCalledOnce();
    expect(row).toHaveAttribute("data-state", "up-to-date");

    background.emit({ kind: "started", accountId: 7 });
    await vi.waitFor(() => expect(row).toHaveAttribute("data-state", "syncing"));
    expect(within(row).getByTestId("sync-progress")).toHaveTextContent("Connecting…");
    expect(within(row).getByTestId("sync-now")).toBeDisabled();

    background.emit({ ...folderEvent(7, "INBOX", 1200, 5000), rate: 850.4, etaSecs: 4.6 });
    await vi.waitFor(() => expect(within(row).getByRole("progressbar")).toHaveAttribute("aria-valuenow", "24"));
    expect(within(row).getByTestId("sync-progress")).toHaveTextContent(
      "INBOX · 1,200 of 5,000 · 850 msg/s · about 5 sec left",
    );

    background.emit({ ...folderEvent(7, "INBOX", 2000, 5000), rate: 2.44, etaSecs: 150 });
    await vi.waitFor(() =>
      expect(within(row).getByTestId("sync-progress")).toHaveTextContent(
        "INBOX · 2,000 of 5,000 · 2.4 msg/s · about 3 min left",
      ),
    );

    // The rate and time left are left out until they are known.
    background.emit(folderEvent(7, "Sent", 1, 40));
    await vi.waitFor(() => expect(within(row).getByTestId("sync-progress").textContent?.trim()).toBe("Sent · 1 of 40"));
    expect(syncAccount).not.toHaveBeenCalled();
  });

  it("refreshes the row when a background sync finishes", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date("2025-03-01T12:00:00Z") });
    listAccounts.mockResolvedValue([accountSummary({ id: 7, messageCount: 10, lastSyncAt: "2025-03-01T11:00:00Z" })]);
    render(AccountsScreen);
    const row = await screen.findByTestId("account-row");
    expect(within(row).getByTestId("account-last-sync")).toHaveTextContent("Synced 1 hour ago");

    background.emit({ kind: "started", accountId: 7 });
    background.emit(folderEvent(7, "INBOX", 4, 5));
    await vi.waitFor(() => expect(within(row).getByTestId("sync-progress")).toBeInTheDocument());

    listAccounts.mockResolvedValue([accountSummary({ id: 7, messageCount: 15, lastSyncAt: "2025-03-01T11:59:50Z" })]);
    background.emit({ kind: "finished", accountId: 7, newMessages: 5, messageCount: 15 });

    await vi.waitFor(() => expect(within(row).queryByTestId("sync-progress")).not.toBeInTheDocument());
    expect(within(row).getByTestId("account-message-count")).toHaveTextContent("15 messages");
    await vi.waitFor(() => expect(within(row).getByTestId("account-last-sync")).toHaveTextContent("Synced just now"));
    expect(row).toHaveAttribute("data-state", "up-to-date");
    expect(row).toHaveAttribute("data-last-sync-at", "2025-03-01T11:59:50Z");
    expect(listAccounts).toHaveBeenCalledTimes(2);
    vi.useRealTimers();
  });

  it("shows a failed background sync on the row", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 7, lastSyncAt: "2025-03-01T11:00:00Z" })]);
    render(AccountsScreen);
    const row = await screen.findByTestId("account-row");

    background.emit({ kind: "started", accountId: 7 });
    background.emit({ kind: "failed", accountId: 7, message: "The server could not be reached." });

    await vi.waitFor(() => expect(row).toHaveAttribute("data-state", "failed"));
    expect(within(row).queryByTestId("sync-progress")).not.toBeInTheDocument();
    expect(within(row).getByTestId("account-error")).toHaveTextContent("The server could not be reached.");
  });

  it("re-reads the account after a failed background sync and offers Sign in again when the provider refused", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 7, authKind: "google", lastSyncAt: "2025-03-01T11:00:00Z" })]);
    render(AccountsScreen);
    const row = await screen.findByTestId("account-row");
    expect(within(row).queryByTestId("sign-in-again")).not.toBeInTheDocument();

    listAccounts.mockResolvedValue([
      accountSummary({ id: 7, authKind: "google", signInRequired: true, lastSyncAt: "2025-03-01T11:00:00Z" }),
    ]);
    background.emit({ kind: "started", accountId: 7 });
    background.emit({ kind: "failed", accountId: 7, message: "Google no longer accepts this sign-in." });

    await vi.waitFor(() => expect(within(row).getByTestId("sign-in-again")).toBeInTheDocument());
    expect(within(row).getByTestId("account-error")).toHaveTextContent("Google no longer accepts this sign-in.");
    expect(listAccounts).toHaveBeenCalledTimes(2);
  });

  it("pauses the row with the reason and offers Reconnect when a background sync pauses", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 7, lastSyncAt: "2025-03-01T11:00:00Z" })]);
    reconnectAccount.mockResolvedValue(accountSummary({ id: 7 }));
    holdSync();
    const user = userEvent.setup();
    render(AccountsScreen);
    const row = await screen.findByTestId("account-row");

    // What the database holds once the service has paused the account.
    listAccounts.mockResolvedValue([
      accountSummary({ id: 7, lastSyncAt: "2025-03-01T11:00:00Z", state: "paused", pausedReason: "the password was refused" }),
    ]);
    background.emit({ kind: "started", accountId: 7 });
    background.emit({ kind: "paused", accountId: 7, reason: "the password was refused" });

    await vi.waitFor(() => expect(row).toHaveAttribute("data-state", "paused"));
    expect(within(row).queryByTestId("sync-progress")).not.toBeInTheDocument();
    expect(within(row).getByTestId("account-state")).toHaveTextContent("Paused: the password was refused");
    expect(within(row).queryByTestId("sync-now")).not.toBeInTheDocument();

    await user.click(within(row).getByTestId("reconnect-account"));
    expect(reconnectAccount).toHaveBeenCalledWith(7);
    await vi.waitFor(() => expect(syncAccount).toHaveBeenCalledWith(7, expect.any(Function)));
  });

  it("stops following background syncs when the screen goes away", async () => {
    listAccounts.mockResolvedValue([accountSummary()]);
    const { unmount } = render(AccountsScreen);
    await screen.findByTestId("account-row");
    expect(background.unlisten).not.toHaveBeenCalled();

    unmount();

    expect(background.unlisten).toHaveBeenCalledOnce();
  });

  it("stops following even when it goes away before the listener is in place", async () => {
    listAccounts.mockResolvedValue([accountSummary()]);
    const listener = deferred<() => void>();
    onSyncProgress.mockReturnValue(listener.promise);
    const { unmount } = render(AccountsScreen);
    unmount();

    listener.resolve(background.unlisten as () => void);

    await vi.waitFor(() => expect(background.unlisten).toHaveBeenCalledOnce());
  });

  it("adds an account through the wizard, closes it and starts its first sync", async () => {
    listAccounts.mockResolvedValue([]);
    discoverSettings.mockResolvedValue(discoveredSettings());
    testConnection.mockResolvedValue(connectionReport());
    addAccount.mockResolvedValue(accountSummary({ id: 3 }));
    holdSync();
    const user = userEvent.setup();
    render(AccountsScreen);

    await user.click(await screen.findByTestId("add-mailbox"));
    await user.type(await screen.findByTestId("field-email"), "alice@example.org");
    await user.type(screen.getByTestId("field-name"), "Alice Example{Enter}");
    await user.type(await screen.findByTestId("field-password"), "hunter2{Enter}");
    await vi.waitFor(() => expect(screen.getByTestId("wizard-next")).toBeEnabled());
    await user.click(screen.getByTestId("wizard-next"));
    await screen.findByTestId("folder-list");
    await user.click(screen.getByTestId("wizard-next"));

    const row = await screen.findByTestId("account-row");
    expect(addAccount).toHaveBeenCalledWith(expect.objectContaining({ email: "alice@example.org", since: "3m" }));
    expect(syncAccount).toHaveBeenCalledWith(3, expect.any(Function));
    expect(within(row).getByTestId("sync-progress")).toBeInTheDocument();
    await vi.waitFor(() => expect(screen.queryByTestId("wizard")).not.toBeInTheDocument());
  });

  it("reconnects a paused account and syncs it", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 4, state: "paused", pausedReason: "the password was refused" })]);
    reconnectAccount.mockResolvedValue(accountSummary({ id: 4 }));
    holdSync();
    const user = userEvent.setup();
    render(AccountsScreen);

    const row = await screen.findByTestId("account-row");
    expect(within(row).queryByTestId("sync-now")).not.toBeInTheDocument();
    await user.click(within(row).getByTestId("reconnect-account"));

    expect(reconnectAccount).toHaveBeenCalledWith(4);
    await vi.waitFor(() => expect(syncAccount).toHaveBeenCalledWith(4, expect.any(Function)));
    expect(row).toHaveAttribute("data-state", "syncing");
  });

  it("offers Sign in again when the provider refuses the sign-in, and syncs after it", async () => {
    const refused = "Google no longer accepts Rapport's sign-in for this mailbox. Click “Sign in again” to renew it.";
    listAccounts.mockResolvedValue([
      accountSummary({
        id: 5,
        email: "alice@gmail.com",
        authKind: "google",
        signInRequired: true,
        state: "paused",
        pausedReason: refused,
      }),
    ]);
    const grant = deferred<string>();
    oauthSignIn.mockReturnValue(grant.promise);
    signInAgain.mockResolvedValue(accountSummary({ id: 5, email: "alice@gmail.com", authKind: "google" }));
    holdSync();
    const user = userEvent.setup();
    render(AccountsScreen);

    const row = await screen.findByTestId("account-row");
    expect(within(row).queryByTestId("reconnect-account")).not.toBeInTheDocument();
    await user.click(within(row).getByTestId("sign-in-again"));
    expect(oauthSignIn).toHaveBeenCalledWith(
      "google",
      "alice@gmail.com",
      expect.objectContaining({ successTitle: "You are signed in" }),
    );
    expect(await within(row).findByTestId("sign-in-waiting")).toHaveTextContent("Waiting for the browser");

    grant.resolve("grant-9");
    await vi.waitFor(() => expect(signInAgain).toHaveBeenCalledWith(5, "grant-9"));
    await vi.waitFor(() => expect(syncAccount).toHaveBeenCalledWith(5, expect.any(Function)));
    expect(within(row).queryByTestId("sign-in-again")).not.toBeInTheDocument();
  });

  it("cancels a Sign in again that waits for the browser", async () => {
    listAccounts.mockResolvedValue([
      accountSummary({ id: 5, authKind: "microsoft", signInRequired: true, state: "paused", pausedReason: "x" }),
    ]);
    const grant = deferred<string>();
    oauthSignIn.mockReturnValue(grant.promise);
    cancelOAuthSignIn.mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(AccountsScreen);

    await user.click(await screen.findByTestId("sign-in-again"));
    await user.click(await screen.findByTestId("cancel-sign-in"));
    expect(cancelOAuthSignIn).toHaveBeenCalled();
    grant.reject({ code: "oauth_cancelled", message: "The sign-in was cancelled.", field: null });

    expect(await screen.findByTestId("sign-in-again")).toBeInTheDocument();
    expect(screen.queryByText("The sign-in was cancelled.")).not.toBeInTheDocument();
    expect(signInAgain).not.toHaveBeenCalled();
  });

  it("shows a refused reconnect on the row", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 4, state: "paused", pausedReason: "the password was refused" })]);
    reconnectAccount.mockRejectedValue({ code: "auth_failed", message: "Still refused.", field: "password" });
    const user = userEvent.setup();
    render(AccountsScreen);

    await user.click(await screen.findByTestId("reconnect-account"));

    expect(await screen.findByTestId("account-error")).toHaveTextContent("Still refused.");
    expect(syncAccount).not.toHaveBeenCalled();
  });

  it("opens an account's settings from Edit and saves them", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 6, mailboxName: "Work" })]);
    listFolders.mockResolvedValue([]);
    updateAccount.mockResolvedValue(accountSummary({ id: 6, mailboxName: "Sales" }));
    holdSync();
    const user = userEvent.setup();
    render(AccountsScreen);

    await user.click(await screen.findByTestId("edit-account"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveAccessibleName("Work settings");
    await user.clear(within(dialog).getByTestId("field-mailbox-name"));
    await user.type(within(dialog).getByTestId("field-mailbox-name"), "Sales");
    await user.click(within(dialog).getByTestId("settings-save"));

    expect(updateAccount).toHaveBeenCalledWith(6, expect.objectContaining({ mailboxName: "Sales", password: null }));
    await vi.waitFor(() => expect(screen.queryByTestId("account-settings")).not.toBeInTheDocument());
    expect(screen.getByTestId("account-row")).toHaveTextContent("Sales");
    expect(syncAccount).toHaveBeenCalledWith(6, expect.any(Function));
  });

  it("removes an account after confirmation", async () => {
    listAccounts.mockResolvedValue([accountSummary({ id: 5, mailboxName: "Work" })]);
    removeAccount.mockResolvedValue(undefined);
    const user = userEvent.setup();
    render(AccountsScreen);

    await user.click(await screen.findByTestId("remove-account"));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Remove Work?");
    expect(dialog).toHaveTextContent("saved password");
    expect(removeAccount).not.toHaveBeenCalled();

    await user.click(within(dialog).getByTestId("confirm-remove"));

    expect(removeAccount).toHaveBeenCalledWith(5);
    expect(await screen.findByTestId("empty-state")).toBeInTheDocument();
  });
});
