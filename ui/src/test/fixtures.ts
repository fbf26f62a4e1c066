import type { AccountSummary } from "../lib/types";

export function accountSummary(overrides: Partial<AccountSummary> = {}): AccountSummary {
  return {
    id: 1,
    email: "alice@example.org",
    senderName: "Alice Example",
    mailboxName: "alice@example.org",
    imap: { host: "imap.example.org", port: 993, security: "tls" },
    smtp: { host: "smtp.example.org", port: 465, security: "tls" },
    username: "alice@example.org",
    state: "active",
    pausedReason: null,
    messageCount: 0,
    folderCount: 0,
    lastSyncAt: null,
    lastError: null,
    ...overrides,
  };
}

/** A promise with its resolve and reject exposed, to hold a command open in a test. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
