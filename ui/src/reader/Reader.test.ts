import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { attachmentInfo, contactCard, messageDetail } from "../test/fixtures";
import Reader from "./Reader.svelte";
import { blockedImagesPolicy, remoteImagesPolicy } from "./srcdoc";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const detail = vi.mocked(api.messageDetail);
let linkHandler: ((url: string) => void) | null = null;

function setup() {
  const onOpenContact = vi.fn();
  render(Reader, { messageId: 5, onOpenContact });
  return { onOpenContact };
}

function frame(): HTMLIFrameElement {
  return screen.getByTestId("reader-body") as HTMLIFrameElement;
}

function frameDocument(): string {
  return frame().getAttribute("srcdoc") ?? "";
}

beforeEach(() => {
  vi.resetAllMocks();
  localStorage.clear();
  detail.mockResolvedValue(messageDetail(5));
  vi.mocked(api.messagePeople).mockResolvedValue([]);
  linkHandler = null;
  vi.mocked(api.onMailLink).mockImplementation(async (handler) => {
    linkHandler = handler;
    return () => {
      linkHandler = null;
    };
  });
});

describe("Reader", () => {
  it("shows the subject and the people as chips", async () => {
    setup();
    expect(await screen.findByTestId("reader-subject")).toHaveTextContent("Subject 5");
    const chips = screen.getAllByTestId("person-chip");
    expect(chips.map((c) => c.getAttribute("data-address"))).toEqual([
      "jan@firma.cz",
      "alice@rapport.test",
      "petr@firma.cz",
    ]);
    expect(chips[0]).toHaveTextContent("Jan Novák");
    expect(detail).toHaveBeenCalledWith(5);
    expect(api.messagePeople).toHaveBeenCalledWith(5);
  });

  it("renders HTML in a frame with no permissions and remote images blocked", async () => {
    setup();
    await screen.findByTestId("reader-subject");
    expect(frame().getAttribute("sandbox")).toBe("");
    const doc = frameDocument();
    expect(doc.startsWith(`<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${blockedImagesPolicy}">`)).toBe(true);
    expect(blockedImagesPolicy).toContain("default-src 'none'");
    expect(blockedImagesPolicy).toMatch(/img-src data:$/);
    expect(doc).not.toContain("https:;");
    expect(doc).toContain('<img src="https://tracker.example/p.gif">');
    expect(screen.getByTestId("images-bar")).toHaveAttribute("data-state", "blocked");
  });

  it("shows remote images for this message once", async () => {
    const user = userEvent.setup();
    setup();
    await user.click(await screen.findByTestId("show-images"));
    expect(frameDocument()).toContain(`content="${remoteImagesPolicy}"`);
    expect(remoteImagesPolicy).toContain("img-src data: https: http:");
    expect(frame().getAttribute("sandbox")).toBe("");
    expect(screen.queryByTestId("images-bar")).not.toBeInTheDocument();
    expect(api.setRemoteImagesAllowed).not.toHaveBeenCalled();
  });

  it("remembers images for the sender and can block them again", async () => {
    vi.mocked(api.setRemoteImagesAllowed).mockResolvedValue();
    const user = userEvent.setup();
    setup();
    await user.click(await screen.findByTestId("images-always"));
    expect(api.setRemoteImagesAllowed).toHaveBeenCalledWith("jan@firma.cz", true);
    await waitFor(() => expect(screen.getByTestId("images-bar")).toHaveAttribute("data-state", "always"));
    expect(screen.getByTestId("images-bar")).toHaveTextContent("jan@firma.cz");
    expect(frameDocument()).toContain(`content="${remoteImagesPolicy}"`);

    await user.click(screen.getByTestId("images-revoke"));
    expect(api.setRemoteImagesAllowed).toHaveBeenLastCalledWith("jan@firma.cz", false);
    await waitFor(() => expect(screen.getByTestId("images-bar")).toHaveAttribute("data-state", "blocked"));
    expect(frameDocument()).toContain(`content="${blockedImagesPolicy}"`);
  });

  it("loads images at once for a sender on the list, offering to block them again", async () => {
    detail.mockResolvedValue(messageDetail(5, { remoteImagesAllowed: true }));
    setup();
    expect(await screen.findByTestId("images-revoke")).toBeVisible();
    expect(frameDocument()).toContain(`content="${remoteImagesPolicy}"`);
  });

  it("offers no image bar when nothing remote is referenced", async () => {
    detail.mockResolvedValue(messageDetail(5, { remoteImages: false, html: "<p>Hi</p>" }));
    setup();
    await screen.findByTestId("reader-body");
    expect(screen.queryByTestId("images-bar")).not.toBeInTheDocument();
  });

  it("embeds inline images once they are fetched", async () => {
    detail.mockResolvedValue(messageDetail(5, { inlineImages: true, remoteImages: false, html: '<img src="cid:logo">' }));
    vi.mocked(api.messageInlineImages).mockResolvedValue('<img src="data:image/png;base64,AAAA">');
    setup();
    await waitFor(() => expect(frameDocument()).toContain('<img src="data:image/png;base64,AAAA">'));
    expect(api.messageInlineImages).toHaveBeenCalledWith(5);
  });

  it("says so when inline images cannot be fetched, and still shows the message", async () => {
    detail.mockResolvedValue(messageDetail(5, { inlineImages: true, html: '<p>Hi <img src="cid:logo"></p>' }));
    vi.mocked(api.messageInlineImages).mockRejectedValue({ code: "network", message: "The server did not answer.", field: null });
    setup();
    expect(await screen.findByText(/could not be downloaded: The server did not answer/)).toBeVisible();
    expect(frameDocument()).toContain("<p>Hi");
  });

  it("shows plain text when the message has no HTML", async () => {
    detail.mockResolvedValue(messageDetail(5, { html: null, remoteImages: false, text: "Hello <b>there</b>" }));
    setup();
    expect(await screen.findByTestId("reader-text")).toHaveTextContent("Hello <b>there</b>");
    expect(screen.queryByTestId("reader-body")).not.toBeInTheDocument();
    expect(screen.queryByTestId("view-toggle")).not.toBeInTheDocument();
  });

  it("switches between the formatted and the plain-text view", async () => {
    const user = userEvent.setup();
    setup();
    await user.click(await screen.findByTestId("view-toggle"));
    expect(screen.getByTestId("reader-text")).toHaveTextContent("Plain body");
    expect(screen.queryByTestId("reader-body")).not.toBeInTheDocument();
    expect(screen.queryByTestId("images-bar")).not.toBeInTheDocument();
    expect(screen.getByTestId("view-toggle")).toHaveAttribute("aria-pressed", "true");
    await user.click(screen.getByTestId("view-toggle"));
    expect(screen.getByTestId("reader-body")).toBeInTheDocument();
  });

  it("opens the card of a person who is a contact", async () => {
    const user = userEvent.setup();
    const { onOpenContact } = setup();
    const [jan] = await screen.findAllByTestId("person-chip");
    await user.click(jan!);
    expect(onOpenContact).toHaveBeenCalledWith(7);
  });

  it("makes an unknown address a contact in one click, and the panel follows", async () => {
    vi.mocked(api.createContact).mockResolvedValue(contactCard({ id: 42 }));
    const user = userEvent.setup();
    const { onOpenContact } = setup();
    await screen.findByTestId("reader-subject");
    await waitFor(() => expect(api.messagePeople).toHaveBeenCalledTimes(1));
    const petr = screen.getAllByTestId("person-chip").find((c) => c.dataset.address === "petr@firma.cz")!;
    await user.click(petr);
    expect(onOpenContact).not.toHaveBeenCalled();
    await user.click(screen.getByTestId("create-contact"));
    expect(api.createContact).toHaveBeenCalledWith("petr@firma.cz", "Petr");
    await waitFor(() => expect(screen.queryByTestId("create-contact")).not.toBeInTheDocument());
    await waitFor(() => expect(api.messagePeople).toHaveBeenCalledTimes(2));
    await user.click(petr);
    expect(onOpenContact).toHaveBeenCalledWith(42);
  });

  it("opens and saves attachments through the api", async () => {
    detail.mockResolvedValue(messageDetail(5, { attachments: [attachmentInfo(9, { filename: "offer.pdf" })] }));
    vi.mocked(api.openAttachment).mockResolvedValue();
    vi.mocked(api.saveAttachment).mockResolvedValue("/home/alice/offer.pdf");
    const user = userEvent.setup();
    setup();
    await user.click(await screen.findByTestId("attachment-open"));
    expect(api.openAttachment).toHaveBeenCalledWith(9);
    expect(screen.getByText("offer.pdf")).toBeVisible();
    await user.click(screen.getByTestId("attachment-save"));
    expect(api.saveAttachment).toHaveBeenCalledWith(9);
    expect(await screen.findByTestId("attachment-saved")).toHaveTextContent("Saved to /home/alice/offer.pdf");
  });

  it("says plainly when an attachment is no longer on the server", async () => {
    detail.mockResolvedValue(messageDetail(5, { attachments: [attachmentInfo(9), attachmentInfo(10)] }));
    vi.mocked(api.saveAttachment).mockRejectedValue({ code: "gone", message: "This message is no longer on the server.", field: null });
    const user = userEvent.setup();
    setup();
    const [first] = await screen.findAllByTestId("attachment");
    await user.click(within(first!).getByTestId("attachment-save"));
    expect(await within(first!).findByTestId("attachment-gone")).toHaveTextContent("No longer on the server");
    expect(within(first!).queryByTestId("attachment-open")).not.toBeInTheDocument();
    expect(screen.getAllByTestId("attachment-open")).toHaveLength(1);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("asks before opening a link from the message, showing where it really goes", async () => {
    detail.mockResolvedValue(
      messageDetail(5, {
        remoteImages: false,
        html: '<p><a href="https://evil.example/login">https://bank.example/login</a></p>',
      }),
    );
    vi.mocked(api.openExternal).mockResolvedValue();
    const user = userEvent.setup();
    setup();
    await screen.findByTestId("reader-body");
    await waitFor(() => expect(linkHandler).not.toBeNull());
    linkHandler!("https://evil.example/login");
    const dialog = await screen.findByTestId("link-confirm");
    expect(within(dialog).getByTestId("link-target")).toHaveTextContent("https://evil.example/login");
    expect(within(dialog).getByTestId("link-host")).toHaveTextContent("evil.example");
    expect(within(dialog).getByTestId("link-mismatch")).toHaveTextContent("https://bank.example/login");
    expect(api.openExternal).not.toHaveBeenCalled();

    await user.click(within(dialog).getByTestId("link-cancel"));
    await waitFor(() => expect(screen.queryByTestId("link-confirm")).not.toBeInTheDocument());
    expect(api.openExternal).not.toHaveBeenCalled();

    linkHandler!("https://evil.example/login");
    await user.click(await screen.findByTestId("link-open"));
    expect(api.openExternal).toHaveBeenCalledWith("https://evil.example/login");
    await waitFor(() => expect(screen.queryByTestId("link-confirm")).not.toBeInTheDocument());
  });

  it("ignores link reports of schemes it does not open", async () => {
    setup();
    await screen.findByTestId("reader-body");
    await waitFor(() => expect(linkHandler).not.toBeNull());
    linkHandler!("javascript:alert(1)");
    linkHandler!("file:///etc/passwd");
    expect(screen.queryByTestId("link-confirm")).not.toBeInTheDocument();
  });
});
