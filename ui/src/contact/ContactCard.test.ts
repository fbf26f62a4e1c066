import { fireEvent, render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { CommandFailure } from "../lib/errors";
import { formatDate } from "../lib/i18n";
import type { ContactCard as Card, ContactUpdate } from "../lib/types";
import { contactAttachment, contactCard, contactSummary, timelineEntry } from "../test/fixtures";
import ContactCard from "./ContactCard.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const loadCard = vi.mocked(api.contactCard);
const updateContact = vi.mocked(api.updateContact);
const contactTimeline = vi.mocked(api.contactTimeline);
const listContacts = vi.mocked(api.listContacts);
const mergeContacts = vi.mocked(api.mergeContacts);
const deleteContact = vi.mocked(api.deleteContact);
const addContactAddress = vi.mocked(api.addContactAddress);
const removeContactAddress = vi.mocked(api.removeContactAddress);

const saved: ContactUpdate = { displayName: "Jana Nováková", stage: "customer", tags: ["vip"], notes: "", followUpAt: null };

function renderCard(card: Card = contactCard()) {
  loadCard.mockResolvedValue(card);
  const props = {
    contactId: card.id,
    now: new Date(1_740_000_000_000 + 2 * 86_400_000),
    onChanged: vi.fn(),
    onMerged: vi.fn(),
    onDeleted: vi.fn(),
    onOpenCompany: vi.fn(),
  };
  render(ContactCard, props);
  return props;
}

beforeEach(() => {
  vi.resetAllMocks();
  // The Rust side answers an update with the card as saved.
  updateContact.mockImplementation(async (id, update) => contactCard({ id, ...update }));
});

describe("ContactCard", () => {
  it("shows the stats, the timeline newest first and the attachments", async () => {
    const user = userEvent.setup();
    renderCard(
      contactCard({
        sentCount: 1205,
        receivedCount: 7,
        timeline: [
          timelineEntry(1, { subject: "Offer", direction: "out", hasAttachments: true, accounts: "me@work.cz,me@gmail.com" }),
          timelineEntry(2, { subject: "Question", direction: "in" }),
        ],
        attachments: [
          contactAttachment(5, { messageId: 1, filename: "offer.pdf", size: 12_400, date: timelineEntry(1).date, direction: "out" }),
        ],
      }),
    );

    const card = await screen.findByTestId("contact-card");
    expect(within(card).getByTestId("contact-name")).toHaveTextContent("Jana Nováková");
    expect(screen.getByTestId("contact-stats-sent")).toHaveTextContent("1,205");
    expect(screen.getByTestId("contact-stats-received")).toHaveTextContent("7");
    expect(screen.getByTestId("contact-stats-last")).toHaveTextContent("2 days ago");
    expect(screen.getByTestId("contact-company")).toHaveTextContent("Acme");

    const entries = screen.getAllByTestId("timeline-entry");
    expect(entries.map((e) => e.dataset.direction)).toEqual(["out", "in"]);
    expect(entries[0]).toHaveTextContent("Offer");
    expect(entries[0]).toHaveTextContent("me@work.cz");
    expect(entries[0]).toHaveTextContent("me@gmail.com");
    expect(within(entries[0]!).getByTestId("timeline-attachment")).toBeInTheDocument();
    expect(within(entries[1]!).queryByTestId("timeline-attachment")).not.toBeInTheDocument();
    expect(screen.queryByTestId("timeline-load-older")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("tab-attachments"));
    const row = await screen.findByTestId("attachment-row");
    expect(row).toHaveTextContent("offer.pdf");
    expect(row).toHaveTextContent("application/pdf");
    expect(row).toHaveTextContent("12.4 kB");
    expect(within(row).getByTestId("attachment-date")).toHaveTextContent(formatDate(new Date(timelineEntry(1).date * 1000)));
    expect(within(row).getByTestId("attachment-direction")).toHaveTextContent("Sent");
  });

  it("re-reads its mail when a message is sent or synced, keeping a note being typed", async () => {
    const user = userEvent.setup();
    let outboxChanged: (() => void) | undefined;
    vi.mocked(api.onOutboxChanged).mockImplementation(async (handler) => {
      outboxChanged = handler;
      return () => {};
    });
    renderCard(contactCard({ sentCount: 0, timeline: [timelineEntry(1, { direction: "in" })] }));
    await screen.findByTestId("contact-card");
    await user.click(screen.getByTestId("tab-notes"));
    const notes = await screen.findByTestId("contact-notes");
    await user.type(notes, "Call on Monday");

    const reply = timelineEntry(2, { direction: "out", subject: "Re: Subject 1", date: timelineEntry(1).date + 60 });
    loadCard.mockResolvedValue(contactCard({ sentCount: 1, timeline: [reply, timelineEntry(1, { direction: "in" })] }));
    await waitFor(() => expect(outboxChanged).toBeDefined());
    outboxChanged!();

    await user.click(screen.getByTestId("tab-timeline"));
    await waitFor(() =>
      expect(screen.getAllByTestId("timeline-entry").map((e) => e.dataset.direction)).toEqual(["out", "in"]),
    );
    expect(screen.getByTestId("contact-stats-sent")).toHaveTextContent("1");
    await user.click(screen.getByTestId("tab-notes"));
    expect(await screen.findByTestId("contact-notes")).toHaveValue("Call on Monday");
  });

  it("dates each attachment by its own message, also one older than the timeline page shown", async () => {
    const user = userEvent.setup();
    const old = Date.UTC(2023, 4, 17, 9, 30) / 1000;
    renderCard(
      contactCard({
        timeline: [timelineEntry(1)],
        attachments: [
          contactAttachment(7, { messageId: 99, filename: "contract.pdf", date: old, direction: "in" }),
          contactAttachment(8, { messageId: 1, filename: "reply.pdf", direction: "out" }),
        ],
      }),
    );
    await user.click(await screen.findByTestId("tab-attachments"));
    const rows = await screen.findAllByTestId("attachment-row");
    expect(rows.map((r) => r.dataset.direction)).toEqual(["in", "out"]);
    expect(within(rows[0]!).getByTestId("attachment-date")).toHaveTextContent("May 17, 2023");
    expect(within(rows[0]!).getByTestId("attachment-direction")).toHaveTextContent("Received");
    expect(within(rows[1]!).getByTestId("attachment-direction")).toHaveTextContent("Sent");
  });

  it("renames inline and saves the whole update", async () => {
    const user = userEvent.setup();
    const { onChanged } = renderCard();

    await user.click(await screen.findByTestId("contact-name"));
    const input = screen.getByTestId("contact-name-input");
    await user.clear(input);
    await user.type(input, "Jana N.{Enter}");

    expect(updateContact).toHaveBeenCalledWith(1, { ...saved, displayName: "Jana N." });
    await waitFor(() => expect(screen.getByTestId("contact-name")).toHaveTextContent("Jana N."));
    expect(onChanged).toHaveBeenCalledWith(expect.objectContaining({ displayName: "Jana N." }));
  });

  it("leaves the name alone on Escape", async () => {
    const user = userEvent.setup();
    renderCard();
    await user.click(await screen.findByTestId("contact-name"));
    await user.type(screen.getByTestId("contact-name-input"), "xyz{Escape}");
    expect(updateContact).not.toHaveBeenCalled();
    expect(screen.getByTestId("contact-name")).toHaveTextContent("Jana Nováková");
  });

  it("saves a standard stage, a custom one, tags and the follow-up date", async () => {
    const user = userEvent.setup();
    renderCard();
    await screen.findByTestId("contact-card");

    await user.selectOptions(screen.getByTestId("contact-stage"), "lead");
    expect(updateContact).toHaveBeenLastCalledWith(1, { ...saved, stage: "lead" });

    await user.selectOptions(screen.getByTestId("contact-stage"), "__custom");
    await user.type(await screen.findByTestId("contact-stage-custom"), "Partner{Enter}");
    expect(updateContact).toHaveBeenLastCalledWith(1, { ...saved, stage: "Partner" });

    await user.type(screen.getByTestId("contact-tag-input"), "hot{Enter}");
    expect(updateContact).toHaveBeenLastCalledWith(1, { ...saved, stage: "Partner", tags: ["vip", "hot"] });

    await fireEvent.change(screen.getByTestId("contact-follow-up"), { target: { value: "2025-04-01" } });
    expect(updateContact).toHaveBeenLastCalledWith(1, {
      ...saved,
      stage: "Partner",
      tags: ["vip", "hot"],
      followUpAt: new Date(2025, 3, 1).getTime() / 1000,
    });
  });

  it("saves the notes when the field loses focus", async () => {
    const user = userEvent.setup();
    renderCard();
    await user.click(await screen.findByTestId("tab-notes"));

    await user.type(await screen.findByTestId("contact-notes"), "Prefers calls");
    expect(updateContact).not.toHaveBeenCalled();
    await user.tab();

    expect(updateContact).toHaveBeenCalledWith(1, { ...saved, notes: "Prefers calls" });
  });

  it("shows why an address cannot be added, and removes one", async () => {
    addContactAddress.mockRejectedValue(
      new CommandFailure({
        code: "address_taken",
        message: "petr@beta.pl belongs to Petr Svoboda. Merge the two contacts instead.",
        field: "address",
      }),
    );
    removeContactAddress.mockResolvedValue(contactCard({ emails: ["jana@acme.cz"] }));
    const user = userEvent.setup();
    renderCard(contactCard({ emails: ["jana@acme.cz", "jana@old.cz"] }));

    await user.click(await screen.findByTestId("contact-add-address"));
    await user.type(screen.getByTestId("contact-address-input"), "petr@beta.pl{Enter}");
    expect(addContactAddress).toHaveBeenCalledWith(1, "petr@beta.pl");
    expect(await screen.findByTestId("error-address")).toHaveTextContent("Merge the two contacts instead.");

    await user.click(screen.getByRole("button", { name: "Remove jana@old.cz" }));
    expect(removeContactAddress).toHaveBeenCalledWith(1, "jana@old.cz");
    await waitFor(() =>
      expect(screen.getAllByTestId("contact-address").map((a) => a.dataset.email)).toEqual(["jana@acme.cz"]),
    );
  });

  it("loads older mail with the last entry shown as the cursor", async () => {
    const first = Array.from({ length: 50 }, (_, i) => timelineEntry(i + 1));
    contactTimeline.mockResolvedValue([timelineEntry(51), timelineEntry(52)]);
    const user = userEvent.setup();
    renderCard(contactCard({ timeline: first }));

    await user.click(await screen.findByTestId("timeline-load-older"));

    const last = first[49]!;
    expect(contactTimeline).toHaveBeenCalledWith(1, { date: last.date, messageId: last.messageId }, 50);
    await waitFor(() => expect(screen.getAllByTestId("timeline-entry")).toHaveLength(52));
    // Fewer than a page came back: that was the oldest.
    expect(screen.queryByTestId("timeline-load-older")).not.toBeInTheDocument();
  });

  it("merges another contact picked by search into this one", async () => {
    listContacts.mockResolvedValue([
      contactSummary({ id: 1 }),
      contactSummary({ id: 2, displayName: "Jana N. (old)", email: "jana@old.cz" }),
    ]);
    mergeContacts.mockResolvedValue(contactCard({ emails: ["jana@acme.cz", "jana@old.cz"], sentCount: 9 }));
    const user = userEvent.setup();
    const { onMerged } = renderCard();

    await user.click(await screen.findByTestId("merge-contact"));
    const dialog = await screen.findByTestId("merge-dialog");
    expect(within(dialog).getByTestId("confirm-merge")).toBeDisabled();
    await user.type(within(dialog).getByTestId("merge-search"), "jana");

    const candidates = await within(dialog).findAllByTestId("merge-candidate");
    expect(listContacts).toHaveBeenLastCalledWith(expect.objectContaining({ query: "jana" }));
    // The card itself is not offered.
    expect(candidates.map((c) => c.dataset.email)).toEqual(["jana@old.cz"]);
    await user.click(candidates[0]!);
    expect(within(dialog).getByTestId("merge-summary")).toHaveTextContent("Jana N. (old) will be merged into Jana Nováková.");
    await user.click(within(dialog).getByTestId("confirm-merge"));

    expect(mergeContacts).toHaveBeenCalledWith(1, 2);
    await waitFor(() => expect(screen.getByTestId("contact-stats-sent")).toHaveTextContent("9"));
    expect(onMerged).toHaveBeenCalledWith(expect.objectContaining({ id: 1 }), 2);
    await waitFor(() => expect(screen.queryByTestId("merge-dialog")).not.toBeInTheDocument());
  });

  it("deletes the contact after confirmation", async () => {
    deleteContact.mockResolvedValue(undefined);
    const user = userEvent.setup();
    const { onDeleted } = renderCard();

    await user.click(await screen.findByTestId("delete-contact"));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog).toHaveTextContent("Their mail stays in Rapport");
    await user.click(within(dialog).getByTestId("confirm-delete-contact"));

    expect(deleteContact).toHaveBeenCalledWith(1);
    expect(onDeleted).toHaveBeenCalledWith(1);
  });

  it("opens the company from the card", async () => {
    const user = userEvent.setup();
    const { onOpenCompany } = renderCard();
    await user.click(await screen.findByTestId("contact-company"));
    expect(onOpenCompany).toHaveBeenCalledWith(10);
  });
});
