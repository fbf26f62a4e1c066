// The search field in the inbox: results replace the list while a query is typed.
import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { CommandFailure } from "../lib/errors";
import { focusSearch, shortcuts } from "../lib/shortcuts";
import InboxScreen from "../inbox/InboxScreen.svelte";
import { MailFolders } from "../shell/mailFolders.svelte";
import { accountSummary, messageDetail, messageListItem, threadListItem } from "../test/fixtures";
import { SEARCH_PAGE } from "./messageSearch.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const searchMessages = vi.mocked(api.searchMessages);

function setup(mail = new MailFolders()) {
  const onOpen = vi.fn();
  const view = render(InboxScreen, {
    view: "inbox",
    mail,
    openThreadId: null,
    onOpenThread: onOpen,
    onOpenContact: vi.fn(),
  });
  return { onOpen, mail, view, user: userEvent.setup() };
}

// What App does: one window listener for the shortcuts, "/" focusing the search field.
const listener = (event: KeyboardEvent) => shortcuts.handle(event);
let stopAppShortcuts: () => void = () => {};
beforeAll(() => {
  window.addEventListener("keydown", listener);
  stopAppShortcuts = shortcuts.register({ "/": () => void focusSearch() });
});
afterAll(() => {
  window.removeEventListener("keydown", listener);
  stopAppShortcuts();
});

beforeEach(() => {
  vi.resetAllMocks();
  localStorage.clear();
  vi.mocked(api.listThreads).mockResolvedValue({ threads: [threadListItem(1), threadListItem(2)], next: null });
  vi.mocked(api.messageDetail).mockImplementation(async (id) => messageDetail(id));
  vi.mocked(api.threadMessages).mockImplementation(async (id) => [messageListItem(id)]);
  vi.mocked(api.listAccounts).mockResolvedValue([accountSummary()]);
  vi.mocked(api.listFolders).mockResolvedValue([]);
  vi.mocked(api.pendingChanges).mockResolvedValue([]);
});

describe("search in the inbox", () => {
  it("shows the matches in place of the inbox while a query is typed", async () => {
    searchMessages.mockResolvedValue([
      messageListItem(7, { fromName: "Jan Novák", fromAddress: "jan@firma.cz", subject: "Offer" }),
      messageListItem(8, { subject: "Offer again", hasAttachments: true }),
    ]);
    const { user } = setup();
    await screen.findAllByTestId("message-row");

    await user.type(screen.getByTestId("search-input"), "from:jan offer");
    const found = await screen.findAllByTestId("search-row");
    expect(found.map((row) => row.getAttribute("data-message-id"))).toEqual(["7", "8"]);
    expect(found[0]).toHaveTextContent("Jan Novák");
    expect(found[0]).toHaveAttribute("data-from", "jan@firma.cz");
    expect(found[1]!.querySelector('[aria-label="Has attachments"]')).not.toBeNull();
    expect(screen.queryAllByTestId("message-row")).toHaveLength(0);
    // Typing quickly sends one search, for the whole text.
    expect(searchMessages).toHaveBeenCalledTimes(1);
    expect(searchMessages).toHaveBeenCalledWith({ query: "from:jan offer", before: null, limit: SEARCH_PAGE });
  });

  it("says so when nothing matches", async () => {
    searchMessages.mockResolvedValue([]);
    const { user } = setup();
    await user.type(screen.getByTestId("search-input"), "zzzz");
    const empty = await screen.findByTestId("search-empty");
    expect(empty).toHaveTextContent("No messages match “zzzz”.");
  });

  it("explains a bad operator under the field and marks the field invalid", async () => {
    searchMessages.mockRejectedValue(
      new CommandFailure({
        code: "invalid_query",
        message: "before: needs a date written as YYYY-MM-DD, e.g. before:2026-03-31; “2026-13-45” is not a date.",
        field: "query",
      }),
    );
    const { user } = setup();
    const input = screen.getByTestId("search-input");
    await user.type(input, "before:2026-13-45");
    const error = await screen.findByTestId("search-error");
    expect(error).toHaveTextContent("before: needs a date written as YYYY-MM-DD");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input).toHaveAttribute("aria-describedby", error.id);
    expect(screen.queryByTestId("search-empty")).not.toBeInTheDocument();
  });

  it("clears with Esc and brings the inbox back", async () => {
    searchMessages.mockResolvedValue([messageListItem(7)]);
    const { user } = setup();
    const input = screen.getByTestId("search-input");
    await user.type(input, "offer");
    await screen.findAllByTestId("search-row");
    await user.keyboard("{Escape}");
    expect(input).toHaveValue("");
    expect(await screen.findAllByTestId("message-row")).toHaveLength(2);
    expect(screen.queryAllByTestId("search-row")).toHaveLength(0);
    expect(input).toHaveFocus();
    await user.keyboard("{Escape}");
    expect(input).not.toHaveFocus();
  });

  it("focuses the field with / and opens results from the keyboard", async () => {
    searchMessages.mockResolvedValue([messageListItem(7), messageListItem(8), messageListItem(9)]);
    const { onOpen, user } = setup();
    await screen.findAllByTestId("message-row");
    await user.keyboard("/");
    const input = screen.getByTestId("search-input");
    expect(input).toHaveFocus();
    expect(input).toHaveValue("");

    await user.keyboard("offer");
    await screen.findAllByTestId("search-row");
    await user.keyboard("{ArrowDown}{Enter}");
    expect(onOpen).toHaveBeenLastCalledWith(8);

    // Out of the field, j / k / Enter move through the results, not the hidden inbox.
    input.blur();
    await user.keyboard("j{Enter}");
    expect(onOpen).toHaveBeenLastCalledWith(9);
    await user.keyboard("kk{Enter}");
    expect(onOpen).toHaveBeenLastCalledWith(7);
  });

  it("opens a clicked result and loads older ones by cursor", async () => {
    const firstPage = Array.from({ length: SEARCH_PAGE }, (_, i) => messageListItem(i + 1));
    searchMessages.mockResolvedValueOnce(firstPage).mockResolvedValueOnce([messageListItem(SEARCH_PAGE + 1)]);
    const { onOpen, user } = setup();
    await user.type(screen.getByTestId("search-input"), "report");
    const found = await screen.findAllByTestId("search-row");
    await user.click(found[2]!);
    expect(onOpen).toHaveBeenLastCalledWith(3);

    await user.click(screen.getByTestId("search-more"));
    await waitFor(() => expect(screen.getAllByTestId("search-row")).toHaveLength(SEARCH_PAGE + 1));
    const last = firstPage[SEARCH_PAGE - 1]!;
    expect(searchMessages).toHaveBeenLastCalledWith({
      query: "report",
      before: { date: last.date, messageId: last.id },
      limit: SEARCH_PAGE,
    });
    expect(screen.queryByTestId("search-more")).not.toBeInTheDocument();
  });

  it("opens a result's conversation in the reader, though the list has not loaded it", async () => {
    searchMessages.mockResolvedValue([messageListItem(40, { threadId: 400, threadCount: 3, subject: "Old offer" })]);
    const { onOpen, view, user } = setup();
    await user.type(screen.getByTestId("search-input"), "old offer");
    await user.click(await screen.findByTestId("search-row"));
    expect(onOpen).toHaveBeenLastCalledWith(400);
    await view.rerender({ openThreadId: 400 });
    await waitFor(() => expect(api.threadMessages).toHaveBeenCalledWith(400));
    expect(screen.getByTestId("search-row")).toHaveAttribute("aria-current", "true");
  });

  it("searches again when the store changes", async () => {
    searchMessages.mockResolvedValue([messageListItem(7)]);
    const { mail, user } = setup();
    await screen.findAllByTestId("message-row");
    await user.type(screen.getByTestId("search-input"), "offer");
    await screen.findByTestId("search-row");
    expect(searchMessages).toHaveBeenCalledTimes(1);

    mail.changed();
    await waitFor(() => expect(searchMessages).toHaveBeenCalledTimes(2));
    expect(searchMessages).toHaveBeenLastCalledWith({ query: "offer", before: null, limit: SEARCH_PAGE });
  });

  it("acts on the result under the cursor with the list's shortcuts, not on the hidden list", async () => {
    // Result 9 is a reply in thread 1, which the hidden list also shows.
    searchMessages.mockResolvedValue([messageListItem(7), messageListItem(9, { threadId: 1, seen: true })]);
    vi.mocked(api.applyAction).mockResolvedValue({ changed: 1, accounts: [1] });
    const { user } = setup();
    await screen.findAllByTestId("message-row");
    await user.type(screen.getByTestId("search-input"), "offer");
    await screen.findAllByTestId("search-row");
    screen.getByTestId("search-input").blur();

    // Read and star marks go on the result's own message.
    await user.keyboard("u");
    expect(api.applyAction).toHaveBeenLastCalledWith({ kind: "markRead", view: "inbox", messageIds: [7] });
    await user.keyboard("s");
    expect(api.applyAction).toHaveBeenLastCalledWith({ kind: "flag", view: "inbox", messageIds: [7] });
    // Archive and delete take the result's conversation, as from the list.
    await user.keyboard("j");
    await user.keyboard("u");
    expect(api.applyAction).toHaveBeenLastCalledWith({ kind: "markUnread", view: "inbox", messageIds: [9] });
    await user.keyboard("e");
    expect(api.applyAction).toHaveBeenLastCalledWith({ kind: "archive", view: "inbox", threadIds: [1] });
    await user.keyboard("#");
    expect(api.applyAction).toHaveBeenLastCalledWith({ kind: "trash", view: "inbox", threadIds: [1] });
    expect(api.applyAction).toHaveBeenCalledTimes(5);
    // Each action searches again, so the results show the new state.
    await waitFor(() => expect(searchMessages.mock.calls.length).toBeGreaterThanOrEqual(2));

    // v opens the move dialog for the result's conversation.
    await user.keyboard("v");
    expect(await screen.findByTestId("move-dialog")).toBeInTheDocument();
  });

  it("shows a failed action on a result above the search", async () => {
    searchMessages.mockResolvedValue([messageListItem(7)]);
    vi.mocked(api.applyAction).mockRejectedValue(
      new CommandFailure({ code: "no_archive", message: "alice@rapport.test has no Archive folder.", field: null }),
    );
    const { user } = setup();
    await screen.findAllByTestId("message-row");
    await user.type(screen.getByTestId("search-input"), "offer");
    await screen.findByTestId("search-row");
    screen.getByTestId("search-input").blur();

    await user.keyboard("e");

    expect(await screen.findByTestId("action-error")).toHaveTextContent("has no Archive folder");
    expect(screen.getByTestId("search-row")).toBeInTheDocument();
  });
});
