// Which screen the main window shows, and which contact, company or mail list is open in it.
// The screen is remembered across launches; the open record is not, since it may be
// gone by then.
import type { MessageView } from "../lib/types";

export type View = "inbox" | "mailboxes" | "contacts" | "companies" | "preferences" | "followups";

export const views: readonly View[] = ["inbox", "mailboxes", "contacts", "companies", "preferences", "followups"];

const storageKey = "rapport.view";

function isView(value: unknown): value is View {
  return typeof value === "string" && (views as readonly string[]).includes(value);
}

export function rememberedView(): View | null {
  try {
    const stored = localStorage.getItem(storageKey);
    return isView(stored) ? stored : null;
  } catch {
    return null;
  }
}

export class Navigation {
  view = $state<View>("mailboxes");
  /** The contact whose card is open on the Contacts screen. */
  contactId = $state<number | null>(null);
  /** The company whose page is open on the Companies screen. */
  companyId = $state<number | null>(null);
  /** What the mail screen lists: the unified inbox or one folder. */
  mailView = $state<MessageView>("inbox");
  /** The conversation open in the reader. */
  threadId = $state<number | null>(null);

  constructor(initial: View = rememberedView() ?? "mailboxes") {
    this.view = initial;
  }

  go(view: View): void {
    this.view = view;
    try {
      localStorage.setItem(storageKey, view);
    } catch {
      // Private mode or a full disk: the view is simply not remembered.
    }
  }

  openContact(contactId: number | null): void {
    this.contactId = contactId;
    this.go("contacts");
  }

  /** Shows a mail list (the unified inbox or a folder) with nothing open yet. */
  openMail(view: MessageView): void {
    const same = typeof view === "string" ? this.mailView === view : typeof this.mailView === "object" && this.mailView.folder === view.folder;
    if (!same) {
      this.mailView = view;
      this.threadId = null;
    }
    this.go("inbox");
  }

  openCompany(companyId: number | null): void {
    this.companyId = companyId;
    this.go("companies");
  }
}
