// The rules of the account fields that the connect wizard and the account settings
// share, kept apart from the markup so they can be tested alone.
import { t } from "../lib/i18n";
import type {
  AccountSummary,
  ContactPolicy,
  FetchPeriod,
  FetchSince,
  KeepPolicy,
  Security,
  ServerSettings,
} from "../lib/types";

export type Protocol = "imap" | "smtp";

/** Every field a form about an account shows, by the name CommandError.field uses. */
export type AccountField =
  | "email"
  | "senderName"
  | "mailboxName"
  | "password"
  | "username"
  | "imapHost"
  | "imapPort"
  | "imapSecurity"
  | "smtpHost"
  | "smtpPort"
  | "smtpSecurity"
  | "allowPlaintext"
  | "since"
  | "folders"
  | "pollIntervalSecs";

export type FieldErrors = Partial<Record<AccountField, string>>;

/** The fields behind "Edit servers". */
export const serverFields: ReadonlySet<AccountField> = new Set<AccountField>([
  "imapHost",
  "imapPort",
  "imapSecurity",
  "smtpHost",
  "smtpPort",
  "smtpSecurity",
  "username",
  "allowPlaintext",
]);

/** Fields in the order forms show them, so the first invalid one can take the focus. */
export const fieldOrder: readonly AccountField[] = [
  "email",
  "senderName",
  "password",
  "imapHost",
  "imapPort",
  "imapSecurity",
  "smtpHost",
  "smtpPort",
  "smtpSecurity",
  "username",
  "allowPlaintext",
  "mailboxName",
  "since",
  "folders",
  "pollIntervalSecs",
];

export function firstInvalidField(errors: FieldErrors): AccountField | null {
  return fieldOrder.find((field) => errors[field] !== undefined) ?? null;
}

function withoutEmpty(errors: FieldErrors): FieldErrors {
  for (const field of Object.keys(errors) as AccountField[]) {
    if (errors[field] === undefined) delete errors[field];
  }
  return errors;
}

// ---- Address, name, password ------------------------------------------------------

/** The domain of an address as typed so far ("alice@Example.org" gives "example.org"). */
export function domainOf(email: string): string | null {
  const at = email.lastIndexOf("@");
  if (at < 0) return null;
  const domain = email.slice(at + 1).trim().toLowerCase();
  return domain === "" ? null : domain;
}

const addressPattern = /^[^\s@]+@([^\s@.]+)(\.[^\s@.]+)*$/;
const hostPattern = /^[^\s/:@]+$/;

function isAddress(value: string): boolean {
  const match = addressPattern.exec(value);
  if (!match) return false;
  // A bare "name@host" is fine only for a local test server.
  return value.slice(value.lastIndexOf("@") + 1).includes(".") || match[1] === "localhost";
}

export function emailError(email: string): string | undefined {
  const value = email.trim();
  if (value === "") return t("accountForm.error.emailRequired");
  if (!isAddress(value)) return t("accountForm.error.emailInvalid");
  return undefined;
}

export function senderNameError(name: string): string | undefined {
  return name.trim() === "" ? t("accountForm.error.nameRequired") : undefined;
}

export function passwordError(password: string): string | undefined {
  return password === "" ? t("accountForm.error.passwordRequired") : undefined;
}

// ---- Servers ------------------------------------------------------------------------

/** The server fields as typed: ports stay strings until they are checked. */
export interface ServerDraft {
  imapHost: string;
  imapPort: string;
  imapSecurity: Security;
  smtpHost: string;
  smtpPort: string;
  smtpSecurity: Security;
  username: string;
  /** The user ticked "I understand, allow unencrypted". */
  allowPlaintext: boolean;
}

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

export function serverDraftOf(
  imap: ServerSettings,
  smtp: ServerSettings,
  username: string,
  allowPlaintext = false,
): ServerDraft {
  return {
    imapHost: imap.host,
    imapPort: String(imap.port),
    imapSecurity: imap.security,
    smtpHost: smtp.host,
    smtpPort: String(smtp.port),
    smtpSecurity: smtp.security,
    username,
    allowPlaintext,
  };
}

/** A first guess from the address alone, for when discovery cannot answer. */
export function guessedServers(email: string): ServerDraft {
  const domain = domainOf(email) ?? "";
  return serverDraftOf(
    { host: domain ? `imap.${domain}` : "", port: defaultPort("imap", "tls"), security: "tls" },
    { host: domain ? `smtp.${domain}` : "", port: defaultPort("smtp", "tls"), security: "tls" },
    email.trim(),
  );
}

export function usesPlaintext(draft: ServerDraft): boolean {
  return draft.imapSecurity === "none" || draft.smtpSecurity === "none";
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

export function validateServers(draft: ServerDraft): FieldErrors {
  return withoutEmpty({
    imapHost: hostError(draft.imapHost),
    imapPort: portError(draft.imapPort),
    smtpHost: hostError(draft.smtpHost),
    smtpPort: portError(draft.smtpPort),
    allowPlaintext:
      usesPlaintext(draft) && !draft.allowPlaintext ? t("accountForm.error.plaintextNotAllowed") : undefined,
  });
}

export interface ServerChoice {
  imap: ServerSettings;
  smtp: ServerSettings;
  username: string;
  /** True only when a server is unencrypted and the user allowed it. */
  allowPlaintext: boolean;
}

/** The servers to use; an empty username means the address, as most servers expect. */
export function serverChoiceOf(draft: ServerDraft, email: string): ServerChoice {
  return {
    imap: { host: draft.imapHost.trim(), port: Number(draft.imapPort.trim()), security: draft.imapSecurity },
    smtp: { host: draft.smtpHost.trim(), port: Number(draft.smtpPort.trim()), security: draft.smtpSecurity },
    username: draft.username.trim() || email.trim(),
    allowPlaintext: usesPlaintext(draft) && draft.allowPlaintext,
  };
}

// ---- What to sync -------------------------------------------------------------------

export const fetchPeriods: readonly FetchPeriod[] = ["7d", "1m", "3m", "1y", "all"];
export type PeriodChoice = FetchPeriod | "date";

export const keepPolicies: readonly KeepPolicy[] = ["received", "sent", "all"];
export const contactPolicies: readonly ContactPolicy[] = ["none", "sent", "all"];
export const pollIntervalMinutes: readonly number[] = [2, 5, 15, 30, 60];

export interface OptionsDraft {
  senderName: string;
  mailboxName: string;
  period: PeriodChoice;
  /** YYYY-MM-DD, used when period is "date". */
  sinceDate: string;
  /** rawNames of the selected folders. */
  folders: string[];
  keepPolicy: KeepPolicy;
  contactPolicy: ContactPolicy;
  /** New people who write first start in the "lead" stage. */
  newSendersAreLeads: boolean;
  pollIntervalSecs: number;
}

export function defaultOptions(): OptionsDraft {
  return {
    senderName: "",
    mailboxName: "",
    period: "3m",
    sinceDate: "",
    folders: [],
    keepPolicy: "all",
    contactPolicy: "all",
    newSendersAreLeads: false,
    pollIntervalSecs: 5 * 60,
  };
}

const datePattern = /^(\d{4})-(\d{2})-(\d{2})/;

/** Reads a saved fetch window back into the period chips. */
export function periodOf(since: string): Pick<OptionsDraft, "period" | "sinceDate"> {
  if ((fetchPeriods as readonly string[]).includes(since)) return { period: since as FetchPeriod, sinceDate: "" };
  const date = datePattern.exec(since);
  if (date) return { period: "date", sinceDate: date[0] };
  return { period: "all", sinceDate: "" };
}

export function sinceOf(options: OptionsDraft): FetchSince {
  return options.period === "date" ? options.sinceDate : options.period;
}

/** The options of a saved account, with the folders it syncs now. */
export function optionsOfAccount(account: AccountSummary, selectedFolders: string[]): OptionsDraft {
  return {
    senderName: account.senderName,
    mailboxName: account.mailboxName,
    ...periodOf(account.since),
    folders: selectedFolders,
    keepPolicy: account.keepPolicy,
    contactPolicy: account.contactPolicy,
    newSendersAreLeads: account.newSendersAreLeads ?? false,
    pollIntervalSecs: account.pollIntervalSecs,
  };
}

/** Today as YYYY-MM-DD in local time, what a date input holds. */
export function localDate(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function sinceDateError(value: string, today: string): string | undefined {
  const match = datePattern.exec(value);
  if (!match || value.length !== 10) return t("accountForm.error.dateRequired");
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const date = new Date(year, month - 1, day);
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) {
    return t("accountForm.error.dateRequired");
  }
  if (value > today) return t("accountForm.error.dateInFuture");
  return undefined;
}

export function validateOptions(
  options: OptionsDraft,
  { folderChoice, now = new Date() }: { folderChoice: boolean; now?: Date },
): FieldErrors {
  return withoutEmpty({
    senderName: senderNameError(options.senderName),
    since: options.period === "date" ? sinceDateError(options.sinceDate, localDate(now)) : undefined,
    folders: folderChoice && options.folders.length === 0 ? t("accountForm.error.foldersRequired") : undefined,
  });
}

// ---- Errors from the Rust side ------------------------------------------------------

const serverFieldNames: Record<string, AccountField> = {
  email: "email",
  address: "email",
  sendername: "senderName",
  name: "senderName",
  "password": "password",
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
  allowplaintext: "allowPlaintext",
  since: "since",
  folders: "folders",
  pollintervalsecs: "pollIntervalSecs",
  pollinterval: "pollIntervalSecs",
};

/**
 * The form field a CommandError.field names. The Rust side may say "password",
 * "imap.host", "imapHost" or just "imap"; anything unknown goes to the top of the form.
 */
export function fieldForServerError(field: string | null): AccountField | null {
  if (field === null) return null;
  return serverFieldNames[field.toLowerCase().replace(/[^a-z]/g, "")] ?? null;
}
