import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import type { OutboxEntry } from "../lib/types";
import OutboxStatus from "./OutboxStatus.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

function entry(overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: 1,
    accountId: 1,
    accountEmail: "alice@example.org",
    messageId: "m1@example.org",
    subject: "Offer",
    recipients: '["jana@acme.cz"]',
    state: "queued",
    attempts: 1,
    nextAttemptAt: 1_800_000_000,
    lastError: "smtp.example.org refused a connection on port 465.",
    createdAt: 1_799_999_000,
    sentAt: null,
    copyState: "pending",
    copyNextAt: 0,
    ...overrides,
  };
}

beforeEach(() => {
  vi.resetAllMocks();
});

describe("OutboxStatus", () => {
  it("is silent while nothing waits", async () => {
    render(OutboxStatus, { revision: 0 });
    await waitFor(() => expect(api.outboxEntries).toHaveBeenCalled());
    expect(screen.queryByTestId("outbox-status")).not.toBeInTheDocument();
  });

  it("shows a waiting message with its error, and retries it on request", async () => {
    const user = userEvent.setup();
    vi.mocked(api.outboxEntries).mockResolvedValue([entry()]);
    vi.mocked(api.retryOutgoing).mockResolvedValue();
    render(OutboxStatus, { revision: 0 });
    const status = await screen.findByTestId("outbox-status");
    expect(status).toHaveTextContent("1 message waiting to be sent");
    await user.click(status);
    expect(screen.getByTestId("outbox-entry")).toHaveTextContent("refused a connection");
    expect(screen.getByTestId("outbox-entry")).toHaveTextContent("jana@acme.cz");
    await user.click(screen.getByTestId("outbox-retry"));
    expect(api.retryOutgoing).toHaveBeenCalledWith(1);
  });

  it("lists a sent message whose copy in Sent failed, with Retry and no Cancel", async () => {
    const user = userEvent.setup();
    vi.mocked(api.outboxEntries).mockResolvedValue([
      entry({
        id: 7,
        state: "sent",
        sentAt: 1_799_999_500,
        copyState: "failed",
        copyNextAt: 1_800_000_600,
        lastError: "Sent, but the copy in Sent could not be saved: quota exceeded",
      }),
      entry({ id: 8, state: "sent", sentAt: 1_799_999_600, copyState: "done", lastError: null }),
    ]);
    vi.mocked(api.retryOutgoing).mockResolvedValue();
    render(OutboxStatus, { revision: 0 });
    const status = await screen.findByTestId("outbox-status");
    expect(status).toHaveTextContent("1 sent message has no copy in Sent yet");
    await user.click(status);
    const listed = screen.getAllByTestId("outbox-entry");
    expect(listed).toHaveLength(1);
    expect(listed[0]).toHaveTextContent("Sent; the copy in Sent is tried again");
    expect(listed[0]).toHaveTextContent("quota exceeded");
    expect(screen.queryByTestId("outbox-cancel")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("outbox-retry"));
    expect(api.retryOutgoing).toHaveBeenCalledWith(7);
  });

  it("says when the server refused a message", async () => {
    vi.mocked(api.outboxEntries).mockResolvedValue([entry({ state: "failed", lastError: "550 no such user" })]);
    render(OutboxStatus, { revision: 0 });
    expect(await screen.findByTestId("outbox-status")).toHaveTextContent("1 message could not be sent");
  });
});
