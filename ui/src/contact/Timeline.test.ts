import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { CommandFailure } from "../lib/errors";
import { timelineEntry } from "../test/fixtures";
import Timeline from "./Timeline.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const messageText = vi.mocked(api.messageText);

beforeEach(() => {
  vi.resetAllMocks();
});

describe("Timeline", () => {
  it("opens an entry in place with the quoted text folded behind a toggle", async () => {
    const user = userEvent.setup();
    messageText.mockResolvedValue([
      { quoted: false, text: "Thanks, the numbers look right.\nSee you Monday." },
      { quoted: true, text: "On Mon, Alice <alice@example.com> wrote:\n> Here are the numbers." },
    ]);
    render(Timeline, { entries: [timelineEntry(4, { subject: "Re: Numbers", snippet: "Thanks, the numbers look right." })] });

    const entry = screen.getByTestId("timeline-entry");
    const toggle = within(entry).getByTestId("timeline-toggle");
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(entry).toHaveTextContent("Thanks, the numbers look right.");

    await user.click(toggle);
    expect(messageText).toHaveBeenCalledWith(4);
    const own = await within(entry).findByTestId("timeline-own-text");
    expect(own.textContent).toBe("Thanks, the numbers look right.\nSee you Monday.");
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(within(entry).queryByTestId("timeline-quoted-text")).not.toBeInTheDocument();

    const showQuote = within(entry).getByTestId("timeline-quote-toggle");
    expect(showQuote).toHaveTextContent("Show quoted text");
    await user.click(showQuote);
    expect(within(entry).getByTestId("timeline-quoted-text")).toHaveTextContent("> Here are the numbers.");
    expect(showQuote).toHaveTextContent("Hide quoted text");
    expect(showQuote).toHaveAttribute("aria-expanded", "true");

    await user.click(showQuote);
    expect(within(entry).queryByTestId("timeline-quoted-text")).not.toBeInTheDocument();

    await user.click(toggle);
    expect(within(entry).queryByTestId("timeline-text")).not.toBeInTheDocument();
    expect(entry).toHaveTextContent("Thanks, the numbers look right.");
  });

  it("offers no quote toggle for a message without quoted text", async () => {
    const user = userEvent.setup();
    messageText.mockResolvedValue([{ quoted: false, text: "Just a note." }]);
    render(Timeline, { entries: [timelineEntry(1)] });
    await user.click(screen.getByTestId("timeline-toggle"));
    expect(await screen.findByTestId("timeline-own-text")).toHaveTextContent("Just a note.");
    expect(screen.queryByTestId("timeline-quote-toggle")).not.toBeInTheDocument();
  });

  it("says so when the message cannot be opened", async () => {
    const user = userEvent.setup();
    messageText.mockRejectedValue(new CommandFailure({ code: "not_found", message: "message 1 was not found", field: null }));
    render(Timeline, { entries: [timelineEntry(1)] });
    await user.click(screen.getByTestId("timeline-toggle"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Rapport could not open this message.");
  });
});
