import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import type { ContactActivity } from "../lib/types";
import ActivityPanel from "./ActivityPanel.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const contactActivity = vi.mocked(api.contactActivity);
const setContactCadence = vi.mocked(api.setContactCadence);

function activity(overrides: Partial<ContactActivity> = {}): ContactActivity {
  return {
    contactId: 4,
    months: Array.from({ length: 12 }, (_, i) => ({
      month: `2026-${String(i + 1).padStart(2, "0")}`,
      sent: i,
      received: i === 11 ? 5 : 0,
    })),
    myMedianReplySecs: 2 * 3600,
    theirMedianReplySecs: 3 * 86_400,
    lastInboundAt: 1_800_000_000,
    lastOutboundAt: null,
    cadenceDays: null,
    defaultCadenceDays: 30,
    ...overrides,
  };
}

beforeEach(() => {
  vi.resetAllMocks();
  contactActivity.mockResolvedValue(activity());
});

describe("ActivityPanel", () => {
  it("charts twelve months and shows reply times both ways", async () => {
    render(ActivityPanel, { contactId: 4, now: new Date(1_800_000_000_000) });
    await screen.findByTestId("contact-activity");
    const months = screen.getAllByTestId("activity-month");
    expect(months).toHaveLength(12);
    expect(months[11]).toHaveAttribute("data-total", "16");
    expect(screen.getByTestId("activity-my-reply")).toHaveTextContent("2 hr");
    expect(screen.getByTestId("activity-their-reply")).toHaveTextContent("3 days");
    expect(screen.getByText("Never")).toBeInTheDocument();
    expect(contactActivity).toHaveBeenCalledWith(4);
  });

  it("saves the contact's own cadence", async () => {
    const user = userEvent.setup();
    setContactCadence.mockResolvedValue(activity({ cadenceDays: 14 }));
    render(ActivityPanel, { contactId: 4, now: new Date() });
    const input = await screen.findByTestId("contact-cadence");
    await user.type(input, "14");
    await user.tab();
    expect(setContactCadence).toHaveBeenCalledWith(4, 14);
  });
});
