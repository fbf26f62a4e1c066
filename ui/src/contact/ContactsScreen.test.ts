import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import type { ContactFilter } from "../lib/types";
import { companySummary, contactCard, contactSummary, correspondent } from "../test/fixtures";
import ContactsScreen from "./ContactsScreen.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const listContacts = vi.mocked(api.listContacts);
const listCompanies = vi.mocked(api.listCompanies);
const unlinkedCorrespondents = vi.mocked(api.unlinkedCorrespondents);
const createContact = vi.mocked(api.createContact);
const ignoreCorrespondent = vi.mocked(api.ignoreCorrespondent);
const chooseSavePath = vi.mocked(api.chooseSavePath);
const exportContacts = vi.mocked(api.exportContacts);
const chooseContactsFile = vi.mocked(api.chooseContactsFile);
const importContacts = vi.mocked(api.importContacts);

const defaults: ContactFilter = {
  query: null,
  stage: null,
  tag: null,
  companyId: null,
  sort: "lastContact",
  limit: 100,
  offset: 0,
};

const lastFilter = () => listContacts.mock.calls.at(-1)?.[0];

function renderScreen(selectedId: number | null = null) {
  const onSelect = vi.fn();
  const onOpenCompany = vi.fn();
  render(ContactsScreen, { selectedId, onSelect, onOpenCompany });
  return { onSelect, onOpenCompany };
}

beforeEach(() => {
  vi.resetAllMocks();
  listContacts.mockResolvedValue([
    contactSummary({ id: 1, tags: ["vip"] }),
    contactSummary({ id: 2, displayName: "Petr Svoboda", email: "petr@beta.pl", companyId: null, companyName: null, stage: "lead", messageCount: 1234, lastContactAt: null }),
  ]);
  listCompanies.mockResolvedValue([companySummary({ id: 10, name: "Acme" })]);
  unlinkedCorrespondents.mockResolvedValue([]);
  vi.mocked(api.contactCard).mockResolvedValue(contactCard());
});

describe("ContactsScreen", () => {
  it("lists contacts in dense rows with their company, stage, mail count and last contact", async () => {
    vi.useFakeTimers({ toFake: ["Date"], now: new Date(1_740_000_000_000 + 3 * 3600_000) });
    renderScreen();

    const rows = await screen.findAllByTestId("contact-row");
    expect(listContacts).toHaveBeenCalledWith(defaults);
    expect(rows.map((row) => row.dataset.email)).toEqual(["jana@acme.cz", "petr@beta.pl"]);
    const [jana, petr] = rows as [HTMLElement, HTMLElement];
    expect(jana).toHaveTextContent("Jana Nováková");
    expect(jana).toHaveTextContent("Acme");
    expect(within(jana).getByTestId("stage-badge")).toHaveTextContent("Customer");
    expect(jana).toHaveTextContent("3 hours ago");
    expect(within(petr).getByTestId("stage-badge")).toHaveTextContent("Lead");
    expect(petr).toHaveTextContent("1,234");
    expect(petr).toHaveTextContent("Never");
    vi.useRealTimers();
  });

  it("sends the stage, tag, company and sort chosen to listContacts", async () => {
    const user = userEvent.setup();
    renderScreen();
    await screen.findAllByTestId("contact-row");
    await waitFor(() => expect(within(screen.getByTestId("filter-company")).getByText("Acme")).toBeInTheDocument());

    await user.selectOptions(screen.getByTestId("filter-stage"), "lead");
    await waitFor(() => expect(lastFilter()).toEqual({ ...defaults, stage: "lead" }));

    await user.selectOptions(screen.getByTestId("filter-tag"), "vip");
    await waitFor(() => expect(lastFilter()).toEqual({ ...defaults, stage: "lead", tag: "vip" }));

    await user.selectOptions(screen.getByTestId("filter-company"), "10");
    await waitFor(() => expect(lastFilter()).toEqual({ ...defaults, stage: "lead", tag: "vip", companyId: 10 }));

    await user.selectOptions(screen.getByTestId("sort"), "messages");
    await waitFor(() =>
      expect(lastFilter()).toEqual({ ...defaults, stage: "lead", tag: "vip", companyId: 10, sort: "messages" }),
    );
  });

  it("searches as you type, once the typing pauses", async () => {
    const user = userEvent.setup();
    renderScreen();
    await screen.findAllByTestId("contact-row");
    const before = listContacts.mock.calls.length;

    await user.type(screen.getByTestId("contacts-search"), "jan");

    await waitFor(() => expect(lastFilter()).toEqual({ ...defaults, query: "jan" }));
    expect(listContacts.mock.calls.length).toBe(before + 1);
  });

  it("says when nothing matches the filters", async () => {
    const user = userEvent.setup();
    renderScreen();
    await screen.findAllByTestId("contact-row");
    listContacts.mockResolvedValue([]);

    await user.type(screen.getByTestId("contacts-search"), "zzz");

    expect(await screen.findByTestId("contacts-empty")).toHaveTextContent("No one matches");
  });

  it("opens a card on click and on Enter", async () => {
    const user = userEvent.setup();
    const { onSelect } = renderScreen();
    const [jana, petr] = (await screen.findAllByTestId("contact-row")) as [HTMLElement, HTMLElement];

    await user.click(jana);
    expect(onSelect).toHaveBeenLastCalledWith(1);

    petr.focus();
    await user.keyboard("{Enter}");
    expect(onSelect).toHaveBeenLastCalledWith(2);
  });

  it("shows the open card beside the list and marks its row", async () => {
    renderScreen(1);
    expect(await screen.findByTestId("contact-card")).toBeInTheDocument();
    const [jana] = await screen.findAllByTestId("contact-row");
    expect(jana).toHaveAttribute("aria-current", "true");
  });

  it("loads the next page with the offset of the rows shown", async () => {
    listContacts.mockResolvedValueOnce(
      Array.from({ length: 100 }, (_, i) => contactSummary({ id: i + 1, email: `p${i}@acme.cz` })),
    );
    listContacts.mockResolvedValueOnce([contactSummary({ id: 101, email: "last@acme.cz" })]);
    const user = userEvent.setup();
    renderScreen();

    await user.click(await screen.findByTestId("contacts-load-more"));

    await waitFor(() => expect(screen.getAllByTestId("contact-row")).toHaveLength(101));
    expect(lastFilter()).toEqual({ ...defaults, offset: 100 });
    expect(screen.queryByTestId("contacts-load-more")).not.toBeInTheDocument();
  });

  it("creates a contact from an unlinked correspondent in one click and opens it", async () => {
    unlinkedCorrespondents.mockResolvedValue([
      correspondent("eva@gamma.cz", { displayName: "Eva Malá", messageCount: 9 }),
      correspondent("info@gamma.cz"),
    ]);
    createContact.mockResolvedValue(contactCard({ id: 7, displayName: "Eva Malá", emails: ["eva@gamma.cz"] }));
    const user = userEvent.setup();
    const { onSelect } = renderScreen();

    await user.click(screen.getByTestId("tab-unlinked"));
    const rows = await screen.findAllByTestId("unlinked-row");
    expect(unlinkedCorrespondents).toHaveBeenCalledWith(200);
    expect(rows[0]).toHaveTextContent("Eva Malá");
    expect(rows[0]).toHaveTextContent("9 messages");

    await user.click(within(rows[0]!).getByTestId("create-contact"));

    expect(createContact).toHaveBeenCalledWith("eva@gamma.cz", "Eva Malá");
    await waitFor(() => expect(onSelect).toHaveBeenCalledWith(7));
    expect(screen.getAllByTestId("unlinked-row").map((row) => row.dataset.address)).toEqual(["info@gamma.cz"]);
  });

  it("ignores an address, or its whole domain", async () => {
    unlinkedCorrespondents.mockResolvedValue([
      correspondent("news@shop.cz"),
      correspondent("deals@shop.cz"),
      correspondent("bob@other.cz"),
    ]);
    ignoreCorrespondent.mockResolvedValue(undefined);
    const user = userEvent.setup();
    renderScreen();
    await user.click(screen.getByTestId("tab-unlinked"));

    const bob = (await screen.findAllByTestId("unlinked-row"))[2]!;
    await user.click(within(bob).getByTestId("ignore-address"));
    expect(ignoreCorrespondent).toHaveBeenLastCalledWith("bob@other.cz");

    const news = screen.getAllByTestId("unlinked-row")[0]!;
    expect(within(news).getByTestId("ignore-domain")).toHaveTextContent("@shop.cz");
    await user.click(within(news).getByTestId("ignore-domain"));
    expect(ignoreCorrespondent).toHaveBeenLastCalledWith("@shop.cz");
    expect(await screen.findByTestId("unlinked-empty")).toBeInTheDocument();
  });

  it("exports to the file the user picks, and imports by the file's type", async () => {
    chooseSavePath.mockResolvedValue("/home/me/contacts.vcf");
    exportContacts.mockResolvedValue(42);
    chooseContactsFile.mockResolvedValue("/home/me/people.CSV");
    importContacts.mockResolvedValue({ created: 3, updated: 2, skipped: 1 });
    const user = userEvent.setup();
    renderScreen();
    await screen.findAllByTestId("contact-row");

    await user.click(screen.getByTestId("export-vcard"));
    expect(chooseSavePath).toHaveBeenCalledWith("vcard", "rapport-contacts.vcf");
    expect(exportContacts).toHaveBeenCalledWith("vcard", "/home/me/contacts.vcf");
    expect(await screen.findByTestId("transfer-status")).toHaveTextContent("Saved 42 contacts to /home/me/contacts.vcf");

    const calls = listContacts.mock.calls.length;
    await user.click(screen.getByTestId("import-contacts"));
    expect(importContacts).toHaveBeenCalledWith("csv", "/home/me/people.CSV");
    await waitFor(() =>
      expect(screen.getByTestId("transfer-status")).toHaveTextContent("Imported: 3 new, 2 updated, 1 skipped."),
    );
    expect(listContacts.mock.calls.length).toBeGreaterThan(calls);
  });

  it("does nothing when the file dialog is cancelled", async () => {
    chooseSavePath.mockResolvedValue(null);
    const user = userEvent.setup();
    renderScreen();
    await screen.findAllByTestId("contact-row");

    await user.click(screen.getByTestId("export-csv"));

    expect(chooseSavePath).toHaveBeenCalledWith("csv", "rapport-contacts.csv");
    expect(exportContacts).not.toHaveBeenCalled();
    expect(screen.queryByTestId("transfer-status")).not.toBeInTheDocument();
  });
});
