import { render, screen, waitFor } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import { attachmentInfo, contactCard, messageDetail } from "../test/fixtures";
import Reader from "./Reader.svelte";
import { blockedImagesPolicy, remoteImagesPolicy } from "./srcdoc";

vi.mock("../lib/api", async () => (await import("../test/crmApiMock")).crmApiMock());

const detail = vi.mocked(api.messageDetail);

function setup() {
  const onOpenContact = vi.fn();
  render(Reader, { messageId: 5, onOpenContact });
  return { onOpenContact };
}

function frame(): HTMLIFrameElement {
  return screen.getByTestId("reader-body") as HTMLIFrameElement;
}

beforeEach(() => {
  vi.resetAllMocks();
  detail.mockResolvedValue(messageDetail(5));
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
  });

  it("renders HTML in a frame with no permissions and remote images blocked", async () => {
    setup();
    await screen.findByTestId("reader-subject");
    const body = frame();
    expect(body.getAttribute("sandbox")).toBe("");
    const doc = body.getAttribute("srcdoc") ?? "";
    expect(doc.startsWith(`<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${blockedImagesPolicy}">`)).toBe(true);
    expect(doc).toContain("img-src data: cid:;");
    expect(doc).not.toContain("https:;");
    expect(doc).toContain('<img src="https://tracker.example/p.gif">');
  });

  it("switches the frame's policy when the user shows images", async () => {
    const user = userEvent.setup();
    setup();
    await user.click(await screen.findByTestId("show-images"));
    const doc = frame().getAttribute("srcdoc") ?? "";
    expect(doc).toContain(`content="${remoteImagesPolicy}"`);
    expect(doc).toContain("img-src data: cid: https: http:");
    expect(frame().getAttribute("sandbox")).toBe("");
    expect(screen.queryByTestId("show-images")).not.toBeInTheDocument();
  });

  it("offers no image button when nothing remote is referenced", async () => {
    detail.mockResolvedValue(messageDetail(5, { remoteImages: false, html: "<p>Hi</p>" }));
    setup();
    await screen.findByTestId("reader-body");
    expect(screen.queryByTestId("show-images")).not.toBeInTheDocument();
  });

  it("shows plain text when the message has no HTML", async () => {
    detail.mockResolvedValue(messageDetail(5, { html: null, remoteImages: false, text: "Hello <b>there</b>" }));
    setup();
    expect(await screen.findByTestId("reader-text")).toHaveTextContent("Hello <b>there</b>");
    expect(screen.queryByTestId("reader-body")).not.toBeInTheDocument();
  });

  it("opens the card of a person who is a contact", async () => {
    const user = userEvent.setup();
    const { onOpenContact } = setup();
    const [jan] = await screen.findAllByTestId("person-chip");
    await user.click(jan!);
    expect(onOpenContact).toHaveBeenCalledWith(7);
  });

  it("makes an unknown address a contact in one click", async () => {
    vi.mocked(api.createContact).mockResolvedValue(contactCard({ id: 42 }));
    const user = userEvent.setup();
    const { onOpenContact } = setup();
    await screen.findByTestId("reader-subject");
    const petr = screen.getAllByTestId("person-chip").find((c) => c.dataset.address === "petr@firma.cz")!;
    await user.click(petr);
    expect(onOpenContact).not.toHaveBeenCalled();
    await user.click(screen.getByTestId("create-contact"));
    expect(api.createContact).toHaveBeenCalledWith("petr@firma.cz", "Petr");
    await waitFor(() => expect(screen.queryByTestId("create-contact")).not.toBeInTheDocument());
    await user.click(petr);
    expect(onOpenContact).toHaveBeenCalledWith(42);
  });

  it("opens attachments through the api", async () => {
    detail.mockResolvedValue(messageDetail(5, { attachments: [attachmentInfo(9, { filename: "offer.pdf" })] }));
    vi.mocked(api.openAttachment).mockResolvedValue();
    const user = userEvent.setup();
    setup();
    await user.click(await screen.findByTestId("attachment-open"));
    expect(api.openAttachment).toHaveBeenCalledWith(9);
    expect(screen.getByText("offer.pdf")).toBeVisible();
  });
});
