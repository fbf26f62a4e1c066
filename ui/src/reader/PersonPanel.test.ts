import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { contactCard, contactSummary, messagePerson } from "../test/fixtures";
import PersonPanel from "./PersonPanel.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const people = vi.mocked(api.messagePeople);

function setup() {
  const onOpenContact = vi.fn();
  const onContactCreated = vi.fn();
  render(PersonPanel, { messageId: 5, onOpenContact, onContactCreated });
  return { onOpenContact, onContactCreated };
}

beforeEach(() => {
  vi.resetAllMocks();
  localStorage.clear();
  people.mockResolvedValue([
    messagePerson("jana@acme.cz", {
      name: "Jana",
      roles: ["from", "cc"],
      contact: contactSummary({ id: 3, sentCount: 4, receivedCount: 9, companyName: "Acme", stage: "customer" }),
    }),
    messagePerson("petr@firma.cz", { name: "Petr", roles: ["to"] }),
  ]);
});

describe("PersonPanel", () => {
  it("shows each contact's card summary and opens the card on click", async () => {
    const user = userEvent.setup();
    const { onOpenContact } = setup();
    const card = await screen.findByTestId("person-card");
    expect(card).toHaveAttribute("data-address", "jana@acme.cz");
    expect(card).toHaveTextContent("Jana Nováková");
    expect(card).toHaveTextContent("Acme");
    expect(within(card).getByTestId("stage-badge")).toHaveAttribute("data-stage", "customer");
    expect(within(card).getByTestId("person-sent")).toHaveTextContent("4 sent");
    expect(within(card).getByTestId("person-received")).toHaveTextContent("9 received");
    expect(card).toHaveTextContent(/Last contact/);
    expect(screen.getAllByTestId("person-entry")[0]).toHaveTextContent("From · Cc");
    await user.click(card);
    expect(onOpenContact).toHaveBeenCalledWith(3);
    expect(api.messagePeople).toHaveBeenCalledWith(5);
  });

  it("makes an unknown address a contact in one click and then shows its summary", async () => {
    vi.mocked(api.createContact).mockResolvedValue(contactCard({ id: 8 }));
    const user = userEvent.setup();
    const { onContactCreated } = setup();
    const add = await screen.findByTestId("person-add");
    expect(add).toHaveAttribute("data-address", "petr@firma.cz");
    people.mockResolvedValue([
      messagePerson("petr@firma.cz", {
        name: "Petr",
        contact: contactSummary({ id: 8, displayName: "Petr", email: "petr@firma.cz", stage: "lead", companyName: null }),
      }),
    ]);
    await user.click(add);
    expect(api.createContact).toHaveBeenCalledWith("petr@firma.cz", "Petr");
    expect(onContactCreated).toHaveBeenCalledWith("petr@firma.cz", 8);
    await waitFor(() => expect(screen.queryByTestId("person-add")).not.toBeInTheDocument());
    expect(screen.getByTestId("person-card")).toHaveAttribute("data-address", "petr@firma.cz");
  });

  it("shows an error where the add failed and keeps the button", async () => {
    vi.mocked(api.createContact).mockRejectedValue({ code: "invalid", message: "“x” is not an email address.", field: "address" });
    const user = userEvent.setup();
    setup();
    await user.click(await screen.findByTestId("person-add"));
    expect(await screen.findByRole("alert")).toHaveTextContent("is not an email address");
    expect(screen.getByTestId("person-add")).toBeEnabled();
  });

  it("collapses and remembers it", async () => {
    const user = userEvent.setup();
    setup();
    await screen.findByTestId("person-card");
    await user.click(screen.getByTestId("person-panel-toggle"));
    expect(screen.queryByTestId("person-card")).not.toBeInTheDocument();
    expect(screen.getByTestId("person-panel-toggle")).toHaveAttribute("aria-expanded", "false");
    expect(localStorage.getItem("rapport.personPanel.collapsed")).toBe("1");
  });

  it("starts collapsed when it was left so", async () => {
    localStorage.setItem("rapport.personPanel.collapsed", "1");
    setup();
    await waitFor(() => expect(api.messagePeople).toHaveBeenCalled());
    expect(screen.getByTestId("person-panel-toggle")).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByTestId("person-entry")).not.toBeInTheDocument();
  });
});
