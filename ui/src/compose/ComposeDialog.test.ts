import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { accountSummary } from "../test/fixtures";
import ComposeDialog from "./ComposeDialog.svelte";
import { splitAddresses, unfilledPlaceholders, type ComposeSession } from "./composer.svelte";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

function setup(session: Partial<ComposeSession> = {}) {
  const onClose = vi.fn();
  const onSent = vi.fn();
  render(ComposeDialog, { session: { key: 1, ...session }, onClose, onSent });
  return { onClose, onSent };
}

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.listAccounts).mockResolvedValue([
    accountSummary(),
    accountSummary({ id: 2, email: "sales@example.org", senderName: "Sales" }),
  ]);
  vi.mocked(api.defaultSendAccount).mockResolvedValue(2);
  vi.mocked(api.sendMessage).mockResolvedValue({ outboxId: 1, messageId: "x@example.org" });
});

describe("ComposeDialog", () => {
  it("sends a reply with Ctrl+Enter from the prefilled account, with its threading", async () => {
    const user = userEvent.setup();
    const { onSent } = setup({
      accountId: 1,
      to: ['"Jana" <jana@acme.cz>'],
      cc: ["petr@firma.cz"],
      subject: "Re: Offer",
      quoteHtml: "<blockquote>Original</blockquote>",
      inReplyTo: "orig@acme.cz",
      references: ["root@acme.cz"],
    });
    await waitFor(() => expect(screen.getByTestId("compose-from")).toHaveValue("1"));
    expect(screen.getByTestId("compose-cc")).toHaveValue("petr@firma.cz");
    screen.getByTestId("compose-subject").focus();
    await user.keyboard("{Control>}{Enter}{/Control}");
    await waitFor(() => expect(onSent).toHaveBeenCalled());
    const draft = vi.mocked(api.sendMessage).mock.calls[0]![0];
    expect(draft.accountId).toBe(1);
    expect(draft.to).toEqual(['"Jana" <jana@acme.cz>']);
    expect(draft.cc).toEqual(["petr@firma.cz"]);
    expect(draft.inReplyTo).toBe("orig@acme.cz");
    expect(draft.references).toEqual(["root@acme.cz"]);
    expect(draft.html).toContain("Original");
  });

  it("starts from the default account and shows the field the core names", async () => {
    const user = userEvent.setup();
    vi.mocked(api.sendMessage).mockRejectedValue({
      code: "invalid_address",
      message: "“nobody” in To is not an email address.",
      field: "to",
    });
    setup({ to: ["nobody"] });
    await waitFor(() => expect(screen.getByTestId("compose-from")).toHaveValue("2"));
    await user.click(screen.getByTestId("compose-send"));
    expect(await screen.findByText("“nobody” in To is not an email address.")).toBeInTheDocument();
    expect(screen.getByTestId("compose-to")).toHaveAttribute("aria-invalid", "true");
  });

  it("asks before discarding a form with text, and closes an empty one at once", async () => {
    const user = userEvent.setup();
    const first = setup({ subject: "Draft" });
    await waitFor(() => expect(screen.getByTestId("compose-from")).toHaveValue("2"));
    screen.getByTestId("compose-subject").focus();
    await user.keyboard("{Escape}");
    expect(first.onClose).not.toHaveBeenCalled();
    await user.click(await screen.findByTestId("compose-discard"));
    expect(first.onClose).toHaveBeenCalled();
  });

  it("flags template placeholders without a value and does not send", async () => {
    const user = userEvent.setup();
    setup({ to: ["jana@acme.cz"], subject: "Hi {Contact.firstName}" });
    expect(await screen.findByTestId("compose-placeholders")).toHaveTextContent("{Contact.firstName}");
    await user.click(screen.getByTestId("compose-send"));
    expect(api.sendMessage).not.toHaveBeenCalled();
  });
});

describe("signatures", () => {
  it("puts the reply signature above the quote when asked, and the new-mail one at the end", async () => {
    vi.mocked(api.getSignature).mockResolvedValue({
      accountId: 1,
      newHtml: "<p>New sig</p>",
      replyHtml: "<p>Reply sig</p>",
      aboveQuote: true,
    });
    setup({ accountId: 1, to: ["jana@acme.cz"], quoteHtml: '<div class="rapport-quote">Quoted</div>', inReplyTo: "q@x" });
    const body = screen.getByTestId("compose-body");
    await waitFor(() => expect(body.innerHTML).toContain("Reply sig"));
    expect(body.innerHTML.indexOf("Reply sig")).toBeLessThan(body.innerHTML.indexOf("Quoted"));
    expect(body.innerHTML).not.toContain("New sig");
  });

  it("does not count the signature as something written", async () => {
    const user = userEvent.setup();
    vi.mocked(api.getSignature).mockResolvedValue({ accountId: 2, newHtml: "<p>Sig</p>", replyHtml: "", aboveQuote: false });
    const { onClose } = setup();
    const body = screen.getByTestId("compose-body");
    await waitFor(() => expect(body.innerHTML).toContain("Sig"));
    screen.getByTestId("compose-subject").focus();
    await user.keyboard("{Escape}");
    await waitFor(() => expect(onClose).toHaveBeenCalled());
  });
});

describe("compose helpers", () => {
  it("splits addresses outside quotes and finds placeholders once", () => {
    expect(splitAddresses('a@x, "Doe, Jane" <j@y>; c@z,')).toEqual(["a@x", '"Doe, Jane" <j@y>', "c@z"]);
    expect(unfilledPlaceholders("{Me.name} {Company.name}", "{Company.name} {today}")).toEqual([
      "{Me.name}",
      "{Company.name}",
    ]);
  });
});
