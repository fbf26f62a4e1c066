import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { CommandFailure } from "../lib/errors";
import { shortcuts } from "../lib/shortcuts";
import type { MessageView, ThreadPage } from "../lib/types";
import { MailFolders } from "../shell/mailFolders.svelte";
import {
  accountSummary,
  deferred,
  folderInfo,
  messageDetail,
  messageListItem,
  threadListItem,
} from "../test/fixtures";
import InboxScreen from "./InboxScreen.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const listThreads = vi.mocked(api.listThreads);
const applyAction = vi.mocked(api.applyAction);

function page(from: number, count: number, next: ThreadPage["next"] = null): ThreadPage {
  return { threads: Array.from({ length: count }, (_, i) => threadListItem(from + i)), next };
}

function setup(view: MessageView = "inbox", mail = new MailFolders(), openThreadId: number | null = null) {
  const onOpenThread = vi.fn();
  const onOpenContact = vi.fn();
  const result = render(InboxScreen, { view, mail, openThreadId, onOpenThread, onOpenContact });
  return { onOpenThread, onOpenContact, mail, ...result };
}

const rowsShown = () => screen.queryAllByTestId("message-row");
const threadIds = () => rowsShown().map((r) => Number(r.getAttribute("data-thread-id")));
const listener = (event: KeyboardEvent) => shortcuts.handle(event);

beforeAll(() => window.addEventListener("keydown", listener));
afterAll(() => window.removeEventListener("keydown", listener));

beforeEach(() => {
  vi.resetAllMocks();
  localStorage.clear();
  applyAction.mockResolvedValue({ changed: 1, accounts: [1] });
  vi.mocked(api.messageDetail).mockImplementation(async (id) => messageDetail(id));
  vi.mocked(api.threadMessages).mockImplementation(async (id) => [messageListItem(id)]);
  vi.mocked(api.listAccounts).mockResolvedValue([accountSummary()]);
  vi.mocked(api.listFolders).mockResolvedValue([]);
  vi.mocked(api.pendingChanges).mockResolvedValue([]);
});

describe("InboxScreen", () => {
  it("lists conversations with their marks, only the rows in view, and loads older ones on scroll", async () => {
    const first = page(1, 100, { date: 1, messageId: 100 });
    first.threads[0] = threadListItem(1, {
      subject: "Offer",
      messageCount: 3,
      unreadCount: 1,
      flagged: true,
      hasAttachments: true,
      latest: messageListItem(1, { seen: true, subject: "Odp: Re: Offer" }),
    });
    listThreads.mockResolvedValueOnce(first).mockResolvedValueOnce(page(101, 5));
    setup();

    await waitFor(() => expect(rowsShown().length).toBeGreaterThan(0));
    expect(listThreads).toHaveBeenCalledWith({ view: "inbox", before: null, limit: 100 });
    // Virtualised: a screenful and a few more, not the hundred loaded.
    expect(rowsShown().length).toBeLessThan(40);
    const row = rowsShown()[0]!;
    expect(row).toHaveAttribute("data-thread-id", "1");
    expect(row).toHaveAttribute("data-from", "sender1@firma.cz");
    expect(row).toHaveTextContent("Sender 1");
    expect(row).toHaveTextContent("Offer");
    expect(row).not.toHaveTextContent("Odp:");
    expect(row).toHaveTextContent("Snippet 1");
    expect(row.querySelector(".count")).toHaveTextContent("3");
    // Unread as a whole though its newest message is read.
    expect(within(row).getByLabelText("Unread")).toBeInTheDocument();
    expect(within(row).getByLabelText("Flagged")).toBeInTheDocument();
    expect(within(row).getByLabelText("Has attachments")).toBeInTheDocument();
    expect(rowsShown()[1]!.querySelector(".count")).toBeNull();

    const list = screen.getByTestId("message-list");
    expect(list).toHaveAttribute("role", "listbox");
    list.scrollTop = 56 * 90;
    list.dispatchEvent(new Event("scroll"));
    await waitFor(() =>
      expect(listThreads).toHaveBeenLastCalledWith({ view: "inbox", before: { date: 1, messageId: 100 }, limit: 100 }),
    );
    await waitFor(() => expect(threadIds()).toContain(105));
  });

  it("moves with j and k, opens with Enter and reads what it opens", async () => {
    listThreads.mockResolvedValue(page(1, 3));
    const user = userEvent.setup();
    const { onOpenThread } = setup();
    await waitFor(() => expect(rowsShown()).toHaveLength(3));

    await user.keyboard("jjk");
    expect(rowsShown()[1]).toHaveClass("cursor");
    await user.keyboard("{Enter}");
    expect(onOpenThread).toHaveBeenCalledWith(2);
    expect(applyAction).toHaveBeenCalledWith({ kind: "markRead", view: "inbox", threadIds: [2] });
    expect(rowsShown()[1]!.querySelector(".dot")).toBeNull();

    await user.click(rowsShown()[2]!);
    expect(onOpenThread).toHaveBeenLastCalledWith(3);
  });

  it("archives with e at once, and puts the row back with the reason if that fails", async () => {
    listThreads.mockResolvedValue(page(1, 3));
    const pending = deferred<{ changed: number; accounts: number[] }>();
    applyAction.mockReturnValueOnce(pending.promise);
    const user = userEvent.setup();
    setup();
    await waitFor(() => expect(rowsShown()).toHaveLength(3));

    await user.keyboard("e");
    // Gone before the store has answered.
    expect(threadIds()).toEqual([2, 3]);
    expect(rowsShown()[0]).toHaveClass("cursor");
    expect(applyAction).toHaveBeenCalledWith({ kind: "archive", view: "inbox", threadIds: [1] });
    pending.resolve({ changed: 1, accounts: [1] });

    applyAction.mockRejectedValueOnce(
      new CommandFailure({
        code: "no_archive",
        message: "alice@example.org has no Archive folder.",
        field: null,
      }),
    );
    await user.keyboard("e");
    await waitFor(() => expect(threadIds()).toEqual([2, 3]));
    expect(await screen.findByTestId("action-error")).toHaveTextContent("has no Archive folder");
  });

  it("toggles read with u and flags the newest message with s", async () => {
    listThreads.mockResolvedValue({
      threads: [threadListItem(1, { unreadCount: 0 }), threadListItem(2, { flagged: true })],
      next: null,
    });
    const user = userEvent.setup();
    setup();
    await waitFor(() => expect(rowsShown()).toHaveLength(2));

    await user.keyboard("u");
    expect(applyAction).toHaveBeenLastCalledWith({ kind: "markUnread", view: "inbox", messageIds: [1] });
    expect(rowsShown()[0]!.querySelector(".dot")).not.toBeNull();
    await user.keyboard("s");
    expect(applyAction).toHaveBeenLastCalledWith({ kind: "flag", view: "inbox", messageIds: [1] });
    await user.keyboard("j");
    await user.keyboard("s");
    expect(applyAction).toHaveBeenLastCalledWith({ kind: "unflag", view: "inbox", threadIds: [2] });
    await user.keyboard("#");
    expect(applyAction).toHaveBeenLastCalledWith({ kind: "trash", view: "inbox", threadIds: [2] });
  });

  it("asks before deleting for good in Trash", async () => {
    const mail = new MailFolders();
    mail.accounts = [accountSummary()];
    mail.folders = { 1: [folderInfo(5, { displayName: "Trash", role: "trash" })] };
    listThreads.mockResolvedValue(page(1, 2));
    const user = userEvent.setup();
    setup({ folder: 5 }, mail);
    await waitFor(() => expect(rowsShown()).toHaveLength(2));
    expect(screen.getByTestId("list-title")).toHaveTextContent("Trash");

    await user.keyboard("#");
    const confirm = await screen.findByTestId("confirm-delete-forever");
    expect(applyAction).not.toHaveBeenCalled();
    await user.click(confirm);
    expect(applyAction).toHaveBeenCalledWith({ kind: "deleteForever", view: { folder: 5 }, threadIds: [1] });
    await waitFor(() => expect(threadIds()).toEqual([2]));
  });

  it("moves to a folder picked in the dialog", async () => {
    const mail = new MailFolders();
    mail.accounts = [accountSummary({ id: 1, email: "alice@rapport.test" })];
    mail.folders = {
      1: [
        folderInfo(1, { displayName: "Inbox", role: "inbox" }),
        folderInfo(7, { displayName: "Clients" }),
        folderInfo(8, { displayName: "Projects" }),
      ],
    };
    listThreads.mockResolvedValue(page(1, 2));
    const user = userEvent.setup();
    setup("inbox", mail);
    await waitFor(() => expect(rowsShown()).toHaveLength(2));

    await user.keyboard("v");
    await screen.findByTestId("move-dialog");
    expect(screen.getAllByTestId("move-target").map((t) => t.textContent?.trim())).toEqual(["Clients", "Projects"]);
    await waitFor(() => expect(screen.getByRole("combobox")).toHaveFocus());
    await user.keyboard("proj{Enter}");
    expect(applyAction).toHaveBeenCalledWith({ kind: "move", view: "inbox", threadIds: [1], targetFolderId: 8 });
    expect(threadIds()).toEqual([2]);
  });

  it("shows new mail at the top while a sync runs, keeping the cursor on its row", async () => {
    listThreads.mockResolvedValueOnce(page(10, 3)).mockResolvedValue({
      threads: [threadListItem(1), ...page(10, 3).threads],
      next: null,
    });
    const user = userEvent.setup();
    const { mail } = setup();
    await waitFor(() => expect(threadIds()).toEqual([10, 11, 12]));
    await user.keyboard("j");
    expect(rowsShown()[1]).toHaveAttribute("data-thread-id", "11");

    mail.changed();
    await waitFor(() => expect(threadIds()).toEqual([1, 10, 11, 12]), { timeout: 2000 });
    expect(rowsShown()[2]).toHaveClass("cursor");
    expect(rowsShown()[2]).toHaveAttribute("data-thread-id", "11");
  });

  it("shows the open conversation with its newest message in full", async () => {
    const thread = threadListItem(3, { messageCount: 3, subject: "Offer" });
    listThreads.mockResolvedValue({ threads: [thread], next: null });
    vi.mocked(api.threadMessages).mockResolvedValue([
      messageListItem(1, { subject: "Offer", seen: true }),
      messageListItem(2, { subject: "Re: Offer", seen: true }),
      messageListItem(3, { subject: "Odp: Re: Offer" }),
    ]);
    const user = userEvent.setup();
    setup("inbox", new MailFolders(), 3);

    expect(await screen.findByTestId("conversation-subject")).toHaveTextContent("Offer");
    const messages = await screen.findAllByTestId("conversation-message");
    expect(messages).toHaveLength(3);
    expect(messages[2]).toHaveAttribute("aria-current", "true");
    expect(await screen.findByTestId("reader-subject")).toHaveTextContent("Subject 3");

    await user.click(messages[0]!);
    expect(await screen.findByTestId("reader-subject")).toHaveTextContent("Subject 1");
    expect(screen.getAllByTestId("conversation-message")[0]).toHaveAttribute("aria-current", "true");
    // Flagging changes the row, not which message is shown.
    await user.click(screen.getByTestId("action-flag"));
    expect(applyAction).toHaveBeenLastCalledWith({ kind: "flag", view: "inbox", messageIds: [3] });
    expect(screen.getByTestId("action-flag")).toHaveAccessibleName("Remove flag");
    expect(screen.getAllByTestId("conversation-message")[0]).toHaveAttribute("aria-current", "true");
    expect(vi.mocked(api.threadMessages)).toHaveBeenCalledTimes(1);
    // The toolbar acts on the open conversation.
    await user.click(screen.getByTestId("action-archive"));
    expect(applyAction).toHaveBeenCalledWith({ kind: "archive", view: "inbox", threadIds: [3] });
  });

  it("says so when a list is empty, in words that fit the list", async () => {
    listThreads.mockResolvedValue({ threads: [], next: null });
    setup();
    expect(await screen.findByTestId("inbox-empty")).toHaveTextContent("No mail here yet");

    const mail = new MailFolders();
    mail.folders = { 1: [folderInfo(9, { displayName: "Archive", role: "archive", selected: false })] };
    setup({ folder: 9 }, mail);
    await waitFor(() =>
      expect(screen.getAllByTestId("inbox-empty").some((e) => e.textContent?.includes("does not sync this folder"))).toBe(
        true,
      ),
    );
  });
});
