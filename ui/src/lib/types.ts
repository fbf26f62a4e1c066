// The IPC contract with the Rust side (src-tauri/app). Field names are the camelCase
// serde names of the Rust structs; keep both sides in step.

export type Security = "tls" | "starttls" | "none";

export interface ServerSettings {
  host: string;
  port: number;
  security: Security;
}

/** A preset period, or a start date as YYYY-MM-DD. */
export type FetchPeriod = "7d" | "1m" | "3m" | "1y" | "all";
export type FetchSince = FetchPeriod | (string & {});

export interface AccountSummary {
  id: number;
  email: string;
  senderName: string;
  mailboxName: string;
  imap: ServerSettings;
  smtp: ServerSettings;
  username: string;
  state: "active" | "paused";
  pausedReason: string | null;
  messageCount: number;
  folderCount: number;
  /** RFC 3339 */
  lastSyncAt: string | null;
  lastError: string | null;
}

export interface NewAccount {
  email: string;
  senderName: string;
  mailboxName: string | null;
  username: string | null;
  password: string;
  imap: ServerSettings;
  smtp: ServerSettings;
  since: FetchSince;
}

export type SyncProgress =
  | { kind: "started"; accountId: number }
  | { kind: "folder"; accountId: number; folder: string; done: number; total: number }
  | { kind: "finished"; accountId: number; newMessages: number; messageCount: number }
  | { kind: "failed"; accountId: number; message: string };

export interface SyncOutcome {
  newMessages: number;
  messageCount: number;
}

/** What every command rejects with. `field` names the form field at fault, if any. */
export interface CommandError {
  code: string;
  message: string;
  field: string | null;
}
