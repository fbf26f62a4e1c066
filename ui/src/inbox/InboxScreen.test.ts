import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { messageDetail, messageListItem } from "../test/fixtures";
import InboxScreen from "./InboxScreen.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const listMessages = vi.mocked(api.listMessages);

function page(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => messageListItem(from + i));
}

function setup(openId: number | null = null) {
  const onOpen = vi.fn();
  const onOpenContact = vi.fn();
  const view = render(InboxScreen, { openId, onOpen, onOpenContact });
  return { onOpen, onOpenContact, view };
}

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.messageDetail).mockImplementation(async (id) => messageDetail(id));
});

describe("InboxScreen", () => {
  it("lists the unified inbox with its marks and pages by cursor", async () => {
    listMessages
      .mockResolvedValueOnce([
        messageListItem(1, { flagged: true, hasAttachments: true, threadCount: 3 }),
        ...page(2, 99),
      ])
      .mockResolvedValueOnce(page(101, 5));
    const user = userEvent.setup();
    setup();

    const rows = await screen.findAllByTestId("message-row");
    expect(rows).toHaveLength(100);
    expect(listMessages).toHaveBeenCalledWith({ view: "inbox", before: null, limit: 100 });
    const first = rows[0]!;
    expect(first).toHaveAttribute("data-message-id", "1");
    expect(first).toHaveAttribute("data-from", "sender1@firma.cz");
    expect(first).toHaveTextContent("Sender 1");
    expect(first).toHaveTextContent("Subject 1");
    expect(first).toHaveTextContent("Snippet 1");
    expect(first).toHaveTextContent("3");
    expect(first.querySelector(".dot")).not.toBeNull();
    expect(first.querySelector('[aria-label="Flagged"]')).not.toBeNull();
    expect(first.querySelector('[aria-label="Has attachments"]')).not.toBeNull();

    await user.click(screen.getByTestId("load-more"));
    await waitFor(() => expect(screen.getAllByTestId("message-row")).toHaveLength(105));
    const last = page(100, 1)[0]!;
    expect(listMessages).toHaveBeenLastCalledWith({
      view: "inbox",
      before: { date: last.date, messageId: 100 },
      limit: 100,
    });
    expect(screen.queryByTestId("load-more")).not.toBeInTheDocument();
  });

  it("moves with j and k and opens with Enter", async () => {
    listMessages.mockResolvedValue(page(1, 3));
    const user = userEvent.setup();
    const { onOpen } = setup();
    await screen.findAllByTestId("message-row");

    await user.keyboard("jj");
    await user.keyboard("k");
    await user.keyboard("{Enter}");
    expect(onOpen).toHaveBeenCalledWith(2);
    await user.keyboard("jjjj{Enter}");
    expect(onOpen).toHaveBeenLastCalledWith(3);
  });

  it("opens a clicked row in the reader", async () => {
    listMessages.mockResolvedValue(page(1, 2));
    const user = userEvent.setup();
    const { onOpen, view } = setup();
    await user.click((await screen.findAllByTestId("message-row"))[1]!);
    expect(onOpen).toHaveBeenCalledWith(2);

    await view.rerender({ openId: 2 });
    expect(await screen.findByTestId("reader-subject")).toHaveTextContent("Subject 2");
  });

  it("says so when the inbox is empty", async () => {
    listMessages.mockResolvedValue([]);
    setup();
    expect(await screen.findByTestId("inbox-empty")).toBeVisible();
  });
});
