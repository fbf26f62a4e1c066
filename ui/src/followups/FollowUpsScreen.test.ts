import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import type { FollowUpLists } from "../lib/types";
import { emptyFollowUps } from "../test/crmApiMock";
import FollowUpsScreen from "./FollowUpsScreen.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const listFollowUps = vi.mocked(api.listFollowUps);
const snoozeFollowUp = vi.mocked(api.snoozeFollowUp);

function lists(): FollowUpLists {
  return {
    ...emptyFollowUps(),
    counts: { awaitingReply: 1, awaitingMe: 1, goingCold: 1, due: 1 },
    awaitingReply: [
      {
        threadId: 10,
        messageId: 11,
        subject: "Offer",
        date: 1_800_000_000,
        workingDays: 4,
        person: { contactId: 7, address: "jan@firma.cz", name: "Jan Novák" },
      },
    ],
    awaitingMe: [
      {
        threadId: 20,
        messageId: 21,
        subject: "Question",
        date: 1_800_000_000,
        workingDays: 3,
        person: { contactId: 8, address: "petr@klient.cz", name: "Petr" },
      },
    ],
    goingCold: [
      {
        contactId: 9,
        displayName: "Dormant",
        email: "dormant@old.cz",
        stage: "prospect",
        lastContactAt: 1_790_000_000,
        cadenceDays: 30,
        overdueDays: 46,
      },
    ],
    followUps: [
      { contactId: 7, displayName: "Jan Novák", email: "jan@firma.cz", stage: "lead", followUpAt: 1_800_000_000, status: "overdue" },
    ],
  };
}

beforeEach(() => {
  vi.resetAllMocks();
  listFollowUps.mockResolvedValue(lists());
  snoozeFollowUp.mockResolvedValue(undefined);
});

describe("FollowUpsScreen", () => {
  it("shows the four lists with their counts and marks", async () => {
    const onCounts = vi.fn();
    render(FollowUpsScreen, { onOpenContact: vi.fn(), onCounts });
    const waiting = await screen.findByTestId("followups-awaitingReply");
    expect(within(waiting).getByText("Offer")).toBeInTheDocument();
    expect(within(waiting).getByText("4 working days")).toBeInTheDocument();
    expect(within(screen.getByTestId("followups-awaitingMe")).getByText("Question")).toBeInTheDocument();
    expect(within(screen.getByTestId("followups-goingCold")).getByText("46 days overdue")).toBeInTheDocument();
    expect(within(screen.getByTestId("followups-dates")).getByText("Overdue")).toBeInTheDocument();
    expect(onCounts).toHaveBeenCalledWith(1);
    expect(listFollowUps).toHaveBeenCalledWith({ stages: ["lead", "prospect", "customer"], contactId: null, limit: 200 });
  });

  it("opens a contact and walks the rows with the arrow keys", async () => {
    const user = userEvent.setup();
    const onOpenContact = vi.fn();
    render(FollowUpsScreen, { onOpenContact });
    const [first, second] = await screen.findAllByTestId("followup-contact");
    first!.focus();
    await user.keyboard("{ArrowDown}");
    expect(second).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(onOpenContact).toHaveBeenCalledWith(8);
  });

  it("dismisses a thread and reloads", async () => {
    const user = userEvent.setup();
    render(FollowUpsScreen, { onOpenContact: vi.fn() });
    const row = (await screen.findAllByTestId("followup-thread"))[0]!;
    listFollowUps.mockResolvedValue({ ...lists(), awaitingReply: [], counts: { ...lists().counts, awaitingReply: 0 } });
    await user.click(within(row).getByTestId("dismiss"));
    expect(snoozeFollowUp).toHaveBeenCalledWith(11, null);
    expect(await screen.findByText("Nobody owes you a reply.")).toBeInTheDocument();
  });

  it("narrows going cold to the stages chosen", async () => {
    const user = userEvent.setup();
    render(FollowUpsScreen, { onOpenContact: vi.fn() });
    const chips = await screen.findAllByTestId("followups-stage");
    await user.click(chips[0]!);
    expect(chips[0]).toHaveAttribute("aria-pressed", "false");
    expect(listFollowUps).toHaveBeenLastCalledWith({ stages: ["prospect", "customer"], contactId: null, limit: 200 });
  });
});
