import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { companyPage, companySummary, contactSummary, timelineEntry } from "../test/fixtures";
import CompaniesScreen from "./CompaniesScreen.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const listCompanies = vi.mocked(api.listCompanies);
const loadPage = vi.mocked(api.companyPage);

function renderScreen(selectedId: number | null = null) {
  const props = { selectedId, onSelect: vi.fn(), onOpenContact: vi.fn() };
  render(CompaniesScreen, props);
  return props;
}

beforeEach(() => {
  vi.resetAllMocks();
  listCompanies.mockResolvedValue([
    companySummary({ id: 10, name: "Acme", domain: "acme.cz", contactCount: 3, messageCount: 4200 }),
    companySummary({ id: 11, name: "Beta", domain: "beta.pl", contactCount: 1, messageCount: 2, lastContactAt: null }),
  ]);
});

describe("CompaniesScreen", () => {
  it("lists companies with their people, mail and last contact", async () => {
    const { onSelect } = renderScreen();
    const rows = await screen.findAllByTestId("company-row");

    expect(listCompanies).toHaveBeenCalledWith(null);
    expect(rows.map((r) => r.dataset.domain)).toEqual(["acme.cz", "beta.pl"]);
    expect(rows[0]).toHaveTextContent("Acme");
    expect(rows[0]).toHaveTextContent("4,200");
    expect(rows[1]).toHaveTextContent("Never");

    await userEvent.setup().click(rows[1]!);
    expect(onSelect).toHaveBeenCalledWith(11);
  });

  it("searches companies as you type", async () => {
    const user = userEvent.setup();
    renderScreen();
    await screen.findAllByTestId("company-row");
    await user.type(screen.getByTestId("companies-search"), "acm");
    await waitFor(() => expect(listCompanies).toHaveBeenLastCalledWith("acm"));
  });

  it("shows a company's page with its people and merged timeline", async () => {
    loadPage.mockResolvedValue(
      companyPage({
        company: companySummary({ id: 10, contactCount: 2, messageCount: 3 }),
        contacts: [
          contactSummary({ id: 1, email: "jana@acme.cz" }),
          contactSummary({ id: 2, displayName: "Karel", email: "karel@acme.cz", stage: "lead" }),
        ],
        timeline: [
          timelineEntry(1, { fromName: "Jana Nováková", subject: "Offer" }),
          timelineEntry(2, { fromName: "Karel", subject: "Invoice" }),
          timelineEntry(3, { fromName: "Karel", subject: "Re: Invoice" }),
        ],
      }),
    );
    const user = userEvent.setup();
    const { onOpenContact } = renderScreen(10);

    const page = await screen.findByTestId("company-page");
    expect(loadPage).toHaveBeenCalledWith(10);
    expect(within(page).getByTestId("company-name")).toHaveTextContent("Acme");
    expect(within(page).getByTestId("company-stats-people")).toHaveTextContent("2");
    const people = within(page).getAllByTestId("company-contact");
    expect(people.map((p) => p.dataset.email)).toEqual(["jana@acme.cz", "karel@acme.cz"]);
    const entries = within(page).getAllByTestId("timeline-entry");
    expect(entries).toHaveLength(3);
    expect(entries[1]).toHaveTextContent("Karel");
    expect(entries[1]).toHaveTextContent("Invoice");

    await user.click(people[1]!);
    expect(onOpenContact).toHaveBeenCalledWith(2);
  });
});
