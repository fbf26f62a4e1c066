import type {
  AccountSummary,
  CertificateInfo,
  CheckResult,
  ConnectionReport,
  DiscoveredSettings,
  RemoteFolderInfo,
} from "../lib/types";

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
    since: "3m",
    keepPolicy: "all",
    contactPolicy: "all",
    pollIntervalSecs: 300,
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

export function discoveredSettings(overrides: Partial<DiscoveredSettings> = {}): DiscoveredSettings {
  return {
    provider: null,
    source: "autoconfig",
    imap: { host: "imap.example.org", port: 993, security: "tls" },
    smtp: { host: "smtp.example.org", port: 465, security: "tls" },
    username: "alice@example.org",
    oauth: null,
    help: null,
    ...overrides,
  };
}

export function remoteFolder(rawName: string, overrides: Partial<RemoteFolderInfo> = {}): RemoteFolderInfo {
  return {
    rawName,
    displayName: rawName,
    role: null,
    selectable: true,
    selectedByDefault: false,
    messageCount: null,
    depth: 0,
    ...overrides,
  };
}

/** A mailbox as servers commonly lay it out, with Gmail-style nesting. */
export const typicalFolders: RemoteFolderInfo[] = [
  remoteFolder("INBOX", { displayName: "Inbox", role: "inbox", selectedByDefault: true, messageCount: 1204 }),
  remoteFolder("[Gmail]", { displayName: "[Gmail]", selectable: false }),
  remoteFolder("[Gmail]/Sent Mail", { displayName: "Sent Mail", role: "sent", selectedByDefault: true, depth: 1, messageCount: 312 }),
  remoteFolder("[Gmail]/Spam", { displayName: "Spam", role: "junk", depth: 1, messageCount: 40 }),
  remoteFolder("[Gmail]/Trash", { displayName: "Trash", role: "trash", depth: 1 }),
  remoteFolder("Clients &AMQ-", { displayName: "Clients Š", messageCount: 18 }),
];

export const passed: CheckResult = { ok: true, error: null, certificate: null };

export function failed(code: string, message: string, field: string | null = null): CheckResult {
  return { ok: false, error: { code, message, field }, certificate: null };
}

export function connectionReport(overrides: Partial<ConnectionReport> = {}): ConnectionReport {
  return { imap: passed, smtp: passed, folders: typicalFolders, ...overrides };
}

export const untrustedCertificate: CertificateInfo = {
  subject: "CN=localhost",
  issuer: "CN=Rapport Test CA",
  notAfter: "2035-06-30T12:00:00Z",
  sha256: "3a7f19c2b04e5d6f8a9b0c1d2e3f40516273849506a7b8c9d0e1f2031425364f",
  host: "localhost",
};

export function untrusted(certificate: CertificateInfo = untrustedCertificate): CheckResult {
  return {
    ok: false,
    error: {
      code: "certificate_not_trusted",
      message: `The certificate of ${certificate.host} is not signed by an authority Rapport trusts.`,
      field: null,
    },
    certificate,
  };
}
