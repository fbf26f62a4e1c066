// Which compose form is open, shared by every screen: the reader's Reply buttons, a
// contact's "Write", mailto: links (clicked anywhere, or passed to a second launch).
import * as api from "../lib/api";
import type { ReplyKind } from "../lib/types";

export interface ComposeInitial {
  accountId?: number | null;
  to?: string[];
  cc?: string[];
  bcc?: string[];
  subject?: string;
  /** The text the user writes in, above any quote. */
  html?: string;
  /** The quoted original (reply) or the forwarded message, below the text. */
  quoteHtml?: string;
  inReplyTo?: string | null;
  references?: string[];
  attachments?: string[];
  /** The saved draft this form continues. */
  draftId?: number | null;
}

export interface ComposeSession extends ComposeInitial {
  /** Changes with every new form, so the dialog starts fresh. */
  key: number;
}

class Composer {
  current = $state<ComposeSession | null>(null);
  #next = 1;

  open(initial: ComposeInitial = {}) {
    this.current = { ...initial, key: this.#next++ };
  }

  close() {
    this.current = null;
  }
}

export const composer = new Composer();

/** Splits "a@x, Name <b@y>" into addresses (commas inside quotes stay). */
export function splitAddresses(text: string): string[] {
  const out: string[] = [];
  let current = "";
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    if (!quoted && (c === "," || c === ";" || c === "\n")) {
      out.push(current);
      current = "";
    } else {
      current += c;
    }
  }
  out.push(current);
  return out.map((a) => a.trim()).filter((a) => a.length > 0);
}

const placeholderPattern = /\{(Contact\.name|Contact\.firstName|Company\.name|Me\.name)\}/g;

/** Template placeholders still in the text, each once. */
export function unfilledPlaceholders(...texts: string[]): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    for (const match of text.matchAll(placeholderPattern)) found.add(match[0]);
  }
  return [...found];
}

export async function openReply(messageId: number, kind: ReplyKind, attribution: string) {
  const draft = await api.replyDraft(messageId, kind, attribution);
  // A forward carries the original's files along.
  const attachments = kind === "forward" ? await api.forwardAttachments(messageId) : [];
  composer.open({
    attachments,
    accountId: draft.accountId,
    to: draft.to,
    cc: draft.cc,
    subject: draft.subject,
    quoteHtml: draft.quoteHtml,
    inReplyTo: draft.inReplyTo,
    references: draft.references,
  });
}

export async function openMailto(url: string) {
  const form = await api.parseMailto(url);
  composer.open({ to: form.to, cc: form.cc, bcc: form.bcc, subject: form.subject, html: form.bodyHtml });
}

/** Reopens a saved draft (the form as it was autosaved). */
export function openDraft(id: number, content: string) {
  let form: Partial<Record<string, unknown>> = {};
  try {
    form = JSON.parse(content) as Partial<Record<string, unknown>>;
  } catch {
    // A draft that cannot be read opens empty rather than not at all.
  }
  const list = (value: unknown) => (typeof value === "string" ? splitAddresses(value) : []);
  composer.open({
    draftId: id,
    accountId: typeof form.accountId === "number" ? form.accountId : null,
    to: list(form.to),
    cc: list(form.cc),
    bcc: list(form.bcc),
    subject: typeof form.subject === "string" ? form.subject : "",
    html: typeof form.html === "string" ? form.html : "",
    quoteHtml: "",
    inReplyTo: typeof form.inReplyTo === "string" ? form.inReplyTo : null,
    references: Array.isArray(form.references) ? (form.references as string[]) : [],
    attachments: Array.isArray(form.attachments) ? (form.attachments as string[]) : [],
  });
}
