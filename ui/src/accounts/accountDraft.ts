// The add-mailbox form's rules, kept apart from the markup so they can be tested alone.
import { t } from "../lib/i18n";
import type { FetchPeriod, NewAccount, Security } from "../lib/types";

export interface AccountDraft {
  email: string;
  senderName: string;
  password: string;
  mailboxName: string;
  username: string;
  imapHost: string;
  imapPort: string;
  imapSecurity: Security;
  smtpHost: string;
  smtpPort: string;
  smtpSecurity: Security;
  since: FetchPeriod;
}

export type DraftField = keyof AccountDraft;
export type DraftErrors = Partial<Record<DraftField, string>>;
export type Protocol = "imap" | "smtp";

/** Fields in the order they appear, so the first invalid one can take the focus. */
export const fieldOrder: readonly DraftField[] = [
  "email",
  "senderName",
  "mailboxName",
  "password",
  "imapHost",
  "imapPort",
  "imapSecurity",
  "smtpHost",
  "smtpPort",
  "smtpSecurity",
  "username",
  "since",
];

export const fetchPeriods: readonly FetchPeriod[] = ["7d", "1m", "3m", "1y", "all"];

const defaultPorts: Record<Protocol, Record<Security, number>> = {
  imap: { tls: 993, starttls: 143, none: 143 },
  smtp: { tls: 465, starttls: 587, none: 587 },
};

export function defaultPort(protocol: Protocol, security: Security): number {
  return defaultPorts[protocol][security];
}

/**
 * The port to show after the security changes: the new default, unless the user
 * typed a port of their own (one that is no default for the old setting).
 */
export function portAfterSecurityChange(
  protocol: Protocol,
  port: string,
  from: Security,
  to: Security,
): string {
  const current = port.trim();
  if (current === "" || current === String(defaultPort(protocol, from))) {
    return String(defaultPort(protocol, to));
  }
  return port;
}

export function emptyDraft(): AccountDraft {
  return {
    email: "",
    senderName: "",
    password: "",
    mailboxName: "",
    username: "",
    imapHost: "",
    imapPort: String(defaultPort("imap", "tls")),
    imapSecurity: "tls",
    smtpHost: "",
    smtpPort: String(defaultPort("smtp", "tls")),
    smtpSecurity: "tls",
    since: "3m",
  };
}

/** The domain of an address as typed so far ("alice@Example.org" gives "example.org"). */
export function domainOf(email: string): string | null {
  const at = email.lastIndexOf("@");
  if (at < 0) return null;
  const domain = email.slice(at + 1).trim().toLowerCase();
  return domain === "" ? null : domain;
}

/** A first guess at the server names; a later wizard replaces this with real discovery. */
export function guessHost(protocol: Protocol, email: string): string {
  const domain = domainOf(email);
  return domain ? `${protocol}.${domain}` : "";
}

const addressPattern = /^[^\s@]+@([^\s@.]+)(\.[^\s@.]+)*$/;
const hostPattern = /^[^\s/:@]+$/;

function isAddress(value: string): boolean {
  const match = addressPattern.exec(value);
  if (!match) return false;
  // A bare "name@host" is fine only for a local test server.
  return value.slice(value.lastIndexOf("@") + 1).includes(".") || match[1] === "localhost";
}

function portError(value: string): string | undefined {
  const port = Number(value.trim());
  if (!/^\d+$/.test(value.trim()) || port < 1 || port > 65535) return t("accountForm.error.port");
  return undefined;
}

function hostError(value: string): string | undefined {
  const host = value.trim();
  if (host === "") return t("accountForm.error.hostRequired");
  if (!hostPattern.test(host)) return t("accountForm.error.hostInvalid");
  return undefined;
}

export function validateDraft(draft: AccountDraft): DraftErrors {
  const errors: DraftErrors = {};
  const email = draft.email.trim();
  if (email === "") errors.email = t("accountForm.error.emailRequired");
  else if (!isAddress(email)) errors.email = t("accountForm.error.emailInvalid");
  if (draft.senderName.trim() === "") errors.senderName = t("accountForm.error.nameRequired");
  if (draft.password === "") errors.password = t("accountForm.error.passwordRequired");
  errors.imapHost = hostError(draft.imapHost);
  errors.imapPort = portError(draft.imapPort);
  errors.smtpHost = hostError(draft.smtpHost);
  errors.smtpPort = portError(draft.smtpPort);
  for (const field of Object.keys(errors) as DraftField[]) {
    if (errors[field] === undefined) delete errors[field];
  }
  return errors;
}

export function firstInvalidField(errors: DraftErrors): DraftField | null {
  return fieldOrder.find((field) => errors[field] !== undefined) ?? null;
}

function optional(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

export function toNewAccount(draft: AccountDraft): NewAccount {
  return {
    email: draft.email.trim(),
    senderName: draft.senderName.trim(),
    mailboxName: optional(draft.mailboxName),
    username: optional(draft.username),
    password: draft.password,
    imap: { host: draft.imapHost.trim(), port: Number(draft.imapPort), security: draft.imapSecurity },
    smtp: { host: draft.smtpHost.trim(), port: Number(draft.smtpPort), security: draft.smtpSecurity },
    since: draft.since,
  };
}

const serverFieldNames: Record<string, DraftField> = {
  email: "email",
  address: "email",
  sendername: "senderName",
  name: "senderName",
  password: "password",
  mailboxname: "mailboxName",
  username: "username",
  imap: "imapHost",
  imaphost: "imapHost",
  imapport: "imapPort",
  imapsecurity: "imapSecurity",
  smtp: "smtpHost",
  smtphost: "smtpHost",
  smtpport: "smtpPort",
  smtpsecurity: "smtpSecurity",
  since: "since",
};

/**
 * The form field a CommandError.field names. The Rust side may say "password",
 * "imap.host", "imapHost" or just "imap"; anything unknown goes to the top of the form.
 */
export function fieldForServerError(field: string | null): DraftField | null {
  if (field === null) return null;
  return serverFieldNames[field.toLowerCase().replace(/[^a-z]/g, "")] ?? null;
}
