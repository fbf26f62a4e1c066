import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import App from "./App.svelte";
import * as api from "./lib/api";
import {
  accountSummary,
  companySummary,
  contactCard,
  contactSummary,
  folderInfo,
  messageDetail,
  messageListItem,
  threadListItem,
} from "./test/fixtures";

vi.mock("./lib/api", async () => (await import("./test/crmApiMock")).crmApiMock());

const listAccounts = vi.mocked(api.listAccounts);

beforeEach(() => {
  vi.resetAllMocks();
  localStorage.clear();
  listAccounts.mockResolvedValue([accountSummary()]);
  vi.mocked(api.onSyncProgress).mockResolvedValue(() => {});
  vi.mocked(api.listContacts).mockResolvedValue([contactSummary()]);
  vi.mocked(api.listCompanies).mockResolvedValue([companySummary()]);
  vi.mocked(api.unlinkedCorrespondents).mockResolvedValue([]);
  vi.mocked(api.contactCard).mockResolvedValue(contactCard());
});

describe("App", () => {
  it("opens on Mailboxes the first time", async () => {
    render(App);
    expect(screen.getByTestId("nav-mailboxes")).toHaveAttribute("aria-current", "page");
    expect(await screen.findByTestId("account-row")).toBeVisible();
  });

  it("remembers the last screen for the next launch", async () => {
    const user = userEvent.setup();
    const first = render(App);

    await user.click(screen.getByTestId("nav-contacts"));
    expect(screen.getByTestId("nav-contacts")).toHaveAttribute("aria-current", "page");
    expect(screen.getByTestId("nav-mailboxes")).not.toHaveAttribute("aria-current");
    expect(await screen.findByTestId("contact-row")).toBeInTheDocument();
    first.unmount();

    render(App);
    expect(screen.getByTestId("nav-contacts")).toHaveAttribute("aria-current", "page");
    expect(await screen.findByRole("heading", { name: "Contacts" })).toBeInTheDocument();
  });

  it("opens on Mailboxes when there is none, whatever was remembered", async () => {
    localStorage.setItem("rapport.view", "companies");
    listAccounts.mockResolvedValue([]);
    render(App);

    expect(await screen.findByTestId("empty-state")).toBeVisible();
    await waitFor(() => expect(screen.getByTestId("nav-mailboxes")).toHaveAttribute("aria-current", "page"));
    expect(screen.queryByTestId("company-row")).not.toBeInTheDocument();
  });

  it("goes from a contact's card to its company and back to a person", async () => {
    vi.mocked(api.companyPage).mockResolvedValue({
      company: companySummary(),
      contacts: [contactSummary({ id: 1 })],
      timeline: [],
    });
    const user = userEvent.setup();
    render(App);

    await user.click(screen.getByTestId("nav-contacts"));
    await user.click(await screen.findByTestId("contact-row"));
    await user.click(await screen.findByTestId("contact-company"));

    expect(await screen.findByTestId("company-page")).toBeInTheDocument();
    expect(screen.getByTestId("nav-companies")).toHaveAttribute("aria-current", "page");

    await user.click(await screen.findByTestId("company-contact"));
    expect(await screen.findByTestId("contact-card")).toBeInTheDocument();
    expect(screen.getByTestId("nav-contacts")).toHaveAttribute("aria-current", "page");
  });

  it("opens a conversation from the Inbox and a sender's card from its chip", async () => {
    vi.mocked(api.listThreads).mockResolvedValue({ threads: [threadListItem(1)], next: null });
    vi.mocked(api.threadMessages).mockResolvedValue([messageListItem(1)]);
    vi.mocked(api.messageDetail).mockResolvedValue(messageDetail(1));
    vi.mocked(api.applyAction).mockResolvedValue({ changed: 1, accounts: [1] });
    const user = userEvent.setup();
    render(App);

    // "Write" heads the sidebar, then the unified inbox.
    expect(screen.getAllByRole("button")[0]).toHaveAttribute("data-testid", "nav-compose");
    expect(screen.getAllByRole("button")[1]).toHaveAttribute("data-testid", "nav-inbox");
    await user.click(screen.getByTestId("nav-inbox"));
    await user.click(await screen.findByTestId("message-row"));
    expect(await screen.findByTestId("reader-subject")).toHaveTextContent("Subject 1");

    await user.click(screen.getAllByTestId("person-chip")[0]!);
    expect(await screen.findByTestId("contact-card")).toBeInTheDocument();
    expect(screen.getByTestId("nav-contacts")).toHaveAttribute("aria-current", "page");
    expect(api.contactCard).toHaveBeenCalledWith(7);
  });
});

describe("App sidebar and shortcuts", () => {
  it("lists each mailbox's folders with unread counts and opens one", async () => {
    vi.mocked(api.listFolders).mockResolvedValue([
      folderInfo(1, { rawName: "INBOX", displayName: "INBOX", role: "inbox", unreadCount: 4 }),
      folderInfo(2, { displayName: "Sent", role: "sent" }),
      folderInfo(3, { displayName: "Clients/Acme", depth: 1, unreadCount: 2 }),
    ]);
    vi.mocked(api.pendingChanges).mockResolvedValue([{ accountId: 1, waiting: 2, lastError: "offline" }]);
    vi.mocked(api.listThreads).mockResolvedValue({ threads: [], next: null });
    const user = userEvent.setup();
    render(App);

    const folders = await screen.findAllByTestId("nav-folder");
    expect(folders.map((f) => f.textContent?.replace(/\s+/g, " ").trim())).toEqual(["Inbox 4", "Sent", "Clients/Acme 2"]);
    expect(screen.getByTestId("nav-inbox")).toHaveTextContent("4");
    expect(screen.getByTestId("pending-changes")).toHaveTextContent("2 changes not on the server yet");
    expect(screen.getByTestId("pending-changes")).toHaveAttribute("title", "offline");

    await user.click(folders[2]!);
    expect(folders[2]).toHaveAttribute("aria-current", "page");
    expect(await screen.findByTestId("list-title")).toHaveTextContent("Clients/Acme");
    expect(api.listThreads).toHaveBeenLastCalledWith({ view: { folder: 3 }, before: null, limit: 100 });
  });

  it("goes places with g i and g c, and shows the help sheet with ?", async () => {
    vi.mocked(api.listFolders).mockResolvedValue([]);
    vi.mocked(api.pendingChanges).mockResolvedValue([]);
    vi.mocked(api.listThreads).mockResolvedValue({ threads: [], next: null });
    const user = userEvent.setup();
    render(App);

    await user.keyboard("gi");
    await waitFor(() => expect(screen.getByTestId("nav-inbox")).toHaveAttribute("aria-current", "page"));
    await user.keyboard("gc");
    await waitFor(() => expect(screen.getByTestId("nav-contacts")).toHaveAttribute("aria-current", "page"));
    await user.keyboard("?");
    const help = await screen.findByTestId("shortcut-help");
    expect(help).toHaveTextContent("Archive");
    expect(help).toHaveTextContent("Go to contacts");
    expect(help).toHaveTextContent("Reply all");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("shortcut-help")).not.toBeInTheDocument());
  });
});
