import type {
  AccountSummary,
  AttachmentInfo,
  CertificateInfo,
  CheckResult,
  CompanyPage,
  CompanySummary,
  ConnectionReport,
  ContactCard,
  ContactSummary,
  Correspondent,
  DiscoveredSettings,
  MessageDetail,
  MessageListItem,
  MessagePerson,
  RemoteFolderInfo,
  TimelineEntry,
} from "../lib/types";
import type { ContactAttachment } from "../lib/types";
import type { FolderInfo, ThreadListItem } from "../lib/types";

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

export function contactSummary(overrides: Partial<ContactSummary> = {}): ContactSummary {
  return {
    id: 1,
    displayName: "Jana Nováková",
    email: "jana@acme.cz",
    stage: "customer",
    companyId: 10,
    companyName: "Acme",
    tags: [],
    messageCount: 12,
    sentCount: 5,
    receivedCount: 7,
    lastContactAt: 1_740_000_000,
    ...overrides,
  };
}

export function timelineEntry(messageId: number, overrides: Partial<TimelineEntry> = {}): TimelineEntry {
  return {
    messageId,
    headerMessageId: `<${messageId}@acme.cz>`,
    subject: `Subject ${messageId}`,
    date: 1_740_000_000 - messageId * 3600,
    snippet: `Snippet of ${messageId}`,
    direction: messageId % 2 === 0 ? "out" : "in",
    fromAddress: "jana@acme.cz",
    fromName: "Jana Nováková",
    hasAttachments: false,
    accounts: "me@work.cz",
    ...overrides,
  };
}

export function attachmentInfo(id: number, overrides: Partial<AttachmentInfo> = {}): AttachmentInfo {
  return {
    id,
    messageId: 1,
    filename: `file-${id}.pdf`,
    mimeType: "application/pdf",
    size: 12_400,
    isInline: false,
    cached: false,
    ...overrides,
  };
}

export function contactCard(overrides: Partial<ContactCard> = {}): ContactCard {
  return {
    id: 1,
    displayName: "Jana Nováková",
    emails: ["jana@acme.cz"],
    companyId: 10,
    companyName: "Acme",
    stage: "customer",
    tags: ["vip"],
    notes: "",
    followUpAt: null,
    sentCount: 5,
    receivedCount: 7,
    lastContactAt: 1_740_000_000,
    timeline: [timelineEntry(1), timelineEntry(2)],
    attachments: [],
    ...overrides,
  };
}

export function companySummary(overrides: Partial<CompanySummary> = {}): CompanySummary {
  return {
    id: 10,
    name: "Acme",
    domain: "acme.cz",
    contactCount: 3,
    messageCount: 42,
    lastContactAt: 1_740_000_000,
    ...overrides,
  };
}

export function companyPage(overrides: Partial<CompanyPage> = {}): CompanyPage {
  return {
    company: companySummary(),
    contacts: [contactSummary()],
    timeline: [timelineEntry(1)],
    ...overrides,
  };
}

export function correspondent(address: string, overrides: Partial<Correspondent> = {}): Correspondent {
  return { address, displayName: "", messageCount: 3, lastAt: 1_740_000_000, ...overrides };
}

export function messageListItem(id: number, overrides: Partial<MessageListItem> = {}): MessageListItem {
  return {
    id,
    threadId: id,
    threadCount: 1,
    fromName: `Sender ${id}`,
    fromAddress: `sender${id}@firma.cz`,
    subject: `Subject ${id}`,
    snippet: `Snippet ${id}`,
    date: 1_790_000_000 - id * 60,
    seen: false,
    flagged: false,
    hasAttachments: false,
    direction: "in",
    accounts: ["alice@rapport.test"],
    ...overrides,
  };
}

export function messageDetail(id: number, overrides: Partial<MessageDetail> = {}): MessageDetail {
  return {
    id,
    threadId: id,
    subject: `Subject ${id}`,
    date: 1_790_000_000,
    direction: "in",
    seen: true,
    flagged: false,
    from: [{ name: "Jan Novák", address: "jan@firma.cz", contactId: 7 }],
    to: [
      { name: "Alice", address: "alice@rapport.test", contactId: null },
      { name: "Petr", address: "petr@firma.cz", contactId: null },
    ],
    cc: [],
    replyTo: [],
    text: "Plain body",
    html: "<p>Hello <img src=\"https://tracker.example/p.gif\"></p>",
    remoteImages: true,
    remoteImagesAllowed: false,
    inlineImages: false,
    attachments: [],
    accounts: ["alice@rapport.test"],
    thread: [],
    ...overrides,
  };
}

export function contactAttachment(id: number, overrides: Partial<ContactAttachment> = {}): ContactAttachment {
  return { ...attachmentInfo(id), date: 1_740_000_000, direction: "in", ...overrides };
}

export function messagePerson(address: string, overrides: Partial<MessagePerson> = {}): MessagePerson {
  return { name: "", address, roles: ["to"], contact: null, ...overrides };
}

/** A conversation row whose newest message is `messageListItem(id)`. */
export function threadListItem(id: number, overrides: Partial<ThreadListItem> = {}): ThreadListItem {
  return {
    threadId: id,
    latest: messageListItem(id),
    subject: `Subject ${id}`,
    messageCount: 1,
    unreadCount: 1,
    flagged: false,
    hasAttachments: false,
    ...overrides,
  };
}

export function folderInfo(id: number, overrides: Partial<FolderInfo> = {}): FolderInfo {
  return {
    id,
    rawName: `Folder ${id}`,
    displayName: `Folder ${id}`,
    role: null,
    selectable: true,
    selected: true,
    messageCount: 0,
    unreadCount: 0,
    depth: 0,
    ...overrides,
  };
}
