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

export type KeepPolicy = "received" | "sent" | "all";
export type ContactPolicy = "none" | "sent" | "all";

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
  /** The fetch window as chosen: a FetchPeriod or YYYY-MM-DD. */
  since: string;
  keepPolicy: KeepPolicy;
  contactPolicy: ContactPolicy;
  /** New people who write first start as leads. */
  newSendersAreLeads?: boolean;
  pollIntervalSecs: number;
  /**
   * The certificate the user trusted for this account, and whether plain text was
   * allowed. Settings send both back unchanged; absent means "none" and "not allowed".
   */
  pinnedSha256?: string | null;
  allowPlaintext?: boolean;
  /** How the account signs in (absent from older data: a password). */
  authKind?: AuthKind;
  /** The provider no longer honours the sign-in: offer "Sign in again". */
  signInRequired?: boolean;
  /** A password account whose provider also offers its sign-in: the switch to offer. */
  signInOffer?: OAuthProviderId | null;
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
  /** rawNames of the folders to sync; null lets the Rust side choose by role. */
  folders: string[] | null;
  keepPolicy: KeepPolicy;
  contactPolicy: ContactPolicy;
  newSendersAreLeads: boolean;
  pollIntervalSecs: number;
  pinnedSha256: string | null;
  allowPlaintext: boolean;
}

export interface AccountSettingsUpdate {
  senderName: string;
  mailboxName: string;
  since: FetchSince;
  keepPolicy: KeepPolicy;
  contactPolicy: ContactPolicy;
  newSendersAreLeads: boolean;
  pollIntervalSecs: number;
  /** rawNames of the selected folders. */
  folders: string[];
  imap: ServerSettings;
  smtp: ServerSettings;
  username: string;
  /** null keeps the saved password: the UI never receives it back. */
  password: string | null;
  pinnedSha256: string | null;
  allowPlaintext: boolean;
}

/** Where discovery found the settings, most trusted first. */
export type DiscoverySource = "preset" | "autoconfig" | "mx" | "srv" | "probe" | "guess";

export interface ProviderHelp {
  appPasswordUrl: string | null;
  enableImapUrl: string | null;
  text: string;
}

export interface DiscoveredSettings {
  /** The provider's name when it is one Rapport knows ("Gmail"). */
  provider: string | null;
  source: DiscoverySource;
  imap: ServerSettings;
  smtp: ServerSettings;
  username: string;
  oauth: "google" | "microsoft" | null;
  help: ProviderHelp | null;
}

export interface ConnectionRequest {
  email: string;
  username: string;
  password: string;
  imap: ServerSettings;
  smtp: ServerSettings;
  pinnedSha256: string | null;
  allowPlaintext: boolean;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** RFC 3339 */
  notAfter: string;
  /** SHA-256 of the DER certificate, lowercase hex. */
  sha256: string;
  host: string;
}

export interface CheckResult {
  ok: boolean;
  error: CommandError | null;
  /** Set when error.code is "certificate_not_trusted". */
  certificate: CertificateInfo | null;
}

export type FolderRole = "inbox" | "sent" | "drafts" | "trash" | "junk" | "archive" | "all" | "flagged";

export interface RemoteFolderInfo {
  rawName: string;
  displayName: string;
  role: FolderRole | null;
  selectable: boolean;
  selectedByDefault: boolean;
  messageCount: number | null;
  /** Nesting level, for indentation. */
  depth: number;
}

export interface ConnectionReport {
  imap: CheckResult;
  smtp: CheckResult;
  /** Empty unless the IMAP check passed. */
  folders: RemoteFolderInfo[];
}

export interface FolderInfo {
  id: number;
  rawName: string;
  displayName: string;
  role: FolderRole | null;
  selectable: boolean;
  selected: boolean;
  messageCount: number;
  unreadCount: number;
  /** Nesting level in the server's hierarchy, for indentation. */
  depth?: number;
}

/**
 * A step of a sync. Syncs started with sync_account report on its channel; the
 * background syncs (IDLE and polling) send the same events as "sync-progress".
 */
export type SyncProgress =
  | { kind: "started"; accountId: number }
  | {
      kind: "folder";
      accountId: number;
      folder: string;
      done: number;
      total: number;
      /** Messages per second so far; 0 until it is known. */
      rate: number;
      /** Seconds left at that rate; null until it is known. */
      etaSecs: number | null;
    }
  | { kind: "finished"; accountId: number; newMessages: number; messageCount: number }
  | { kind: "failed"; accountId: number; message: string }
  /** The account stopped syncing until the user presses Reconnect. */
  | { kind: "paused"; accountId: number; reason: string }
  /** The user's changes to mail reached the server, or were refused and undone. */
  | {
      kind: "changes";
      accountId: number;
      applied: number;
      /** Still waiting for the server. */
      waiting: number;
      /** Sentences for the changes the server refused; each was undone. */
      rolledBack: string[];
      /** Why the push stopped when the connection failed. */
      error: string | null;
    };

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

// CRM: contacts, companies, timelines. Dates are Unix seconds.

export type ContactSort = "lastContact" | "name" | "messages";

/** The stages Rapport names; a contact may also carry any other text. */
export const standardStages = ["lead", "prospect", "customer", "contact"] as const;
export type StandardStage = (typeof standardStages)[number];

export interface ContactSummary {
  id: number;
  displayName: string;
  /** The primary address. */
  email: string;
  stage: string;
  companyId: number | null;
  companyName: string | null;
  tags: string[];
  messageCount: number;
  sentCount: number;
  receivedCount: number;
  lastContactAt: number | null;
}

export interface ContactFilter {
  query: string | null;
  stage: string | null;
  tag: string | null;
  companyId: number | null;
  sort: ContactSort;
  limit: number;
  offset: number;
}

export interface TimelineEntry {
  messageId: number;
  headerMessageId: string | null;
  subject: string;
  date: number;
  snippet: string;
  direction: "in" | "out";
  fromAddress: string;
  fromName: string;
  hasAttachments: boolean;
  /** Comma-separated addresses of the accounts that hold the message. */
  accounts: string;
}

/** The last entry shown; the next page holds the entries older than it. */
export interface TimelineCursor {
  date: number;
  messageId: number;
}

export interface AttachmentInfo {
  id: number;
  messageId: number;
  filename: string;
  mimeType: string;
  size: number;
  isInline: boolean;
  cached: boolean;
}

export interface ContactCard {
  id: number;
  displayName: string;
  emails: string[];
  companyId: number | null;
  companyName: string | null;
  stage: string;
  tags: string[];
  notes: string;
  followUpAt: number | null;
  sentCount: number;
  receivedCount: number;
  lastContactAt: number | null;
  /** The newest 50 entries. */
  timeline: TimelineEntry[];
  attachments: ContactAttachment[];
}

export interface ContactUpdate {
  displayName: string;
  stage: string;
  tags: string[];
  notes: string;
  followUpAt: number | null;
}

export interface CompanySummary {
  id: number;
  name: string;
  domain: string;
  contactCount: number;
  messageCount: number;
  lastContactAt: number | null;
}

export interface CompanyPage {
  company: CompanySummary;
  contacts: ContactSummary[];
  /** The newest 50 entries of all its contacts. */
  timeline: TimelineEntry[];
}

/** An address Rapport has mail with but no contact for. */
export interface Correspondent {
  address: string;
  displayName: string;
  messageCount: number;
  lastAt: number;
}

export type ContactFileFormat = "vcard" | "csv";

export interface ImportOutcome {
  created: number;
  updated: number;
  skipped: number;
}

/** Which messages a list shows: every account's inbox as one, or one folder. */
export type MessageView = "inbox" | { folder: number };

export interface MessageQuery {
  view: MessageView;
  /** The last row shown; the page holds older messages. */
  before: TimelineCursor | null;
  limit: number;
}

export interface MessageListItem {
  id: number;
  threadId: number;
  /** Messages in the thread, this one included. */
  threadCount: number;
  fromName: string;
  fromAddress: string;
  subject: string;
  snippet: string;
  /** Unix seconds. */
  date: number;
  seen: boolean;
  flagged: boolean;
  hasAttachments: boolean;
  direction: "in" | "out";
  accounts: string[];
}

/** Someone in a message header; `contactId` when the address belongs to a contact. */
export interface Person {
  name: string;
  address: string;
  contactId: number | null;
}

export interface MessageDetail {
  id: number;
  threadId: number;
  subject: string;
  date: number;
  direction: "in" | "out";
  seen: boolean;
  flagged: boolean;
  from: Person[];
  to: Person[];
  cc: Person[];
  replyTo: Person[];
  text: string;
  /** Sanitised again on every read; shown only in a sandboxed frame. */
  html: string | null;
  /** The HTML loads images from the network. */
  remoteImages: boolean;
  /** The sender is on the "always show remote images" list. */
  remoteImagesAllowed: boolean;
  /** The HTML shows inline (cid:) images; messageInlineImages embeds them. */
  inlineImages: boolean;
  /** Without the inline images the HTML shows in place. */
  attachments: AttachmentInfo[];
  accounts: string[];
  /** The other messages of the thread, oldest first. */
  thread: MessageListItem[];
}

/** An attachment on a contact's card, with the date and direction of its message. */
export interface ContactAttachment extends AttachmentInfo {
  date: number;
  direction: "in" | "out";
}

/** A run of a message's plain text: the sender's own words, or earlier mail they quoted. */
export interface TextPart {
  quoted: boolean;
  text: string;
}

/** Someone in From, To or Cc of a message (never the user), with their card summary. */
export interface MessagePerson {
  name: string;
  address: string;
  roles: Array<"from" | "to" | "cc">;
  contact: ContactSummary | null;
}

/** One conversation in a message list; the row shows its newest message in the list. */
export interface ThreadListItem {
  threadId: number;
  latest: MessageListItem;
  /** The subject without reply and forward prefixes. */
  subject: string;
  messageCount: number;
  unreadCount: number;
  flagged: boolean;
  hasAttachments: boolean;
}

export interface ThreadPage {
  threads: ThreadListItem[];
  /** Where the next page starts; null after the last one. */
  next: TimelineCursor | null;
}

export type ActionKind =
  | "markRead"
  | "markUnread"
  | "flag"
  | "unflag"
  | "archive"
  | "trash"
  | "move"
  | "deleteForever";

/** An action on messages and whole threads, taken in the list showing `view`. */
export interface MessageAction {
  kind: ActionKind;
  messageIds?: number[];
  threadIds?: number[];
  view: MessageView;
  /** For "move". */
  targetFolderId?: number;
}

export interface ActionOutcome {
  changed: number;
  accounts: number[];
}

/** Changes of one account that its server does not have yet. */
export interface PendingSummary {
  accountId: number;
  waiting: number;
  lastError: string | null;
}

/**
 * A search over every account: words, "phrases", from:, to:, subject:, has:attachment,
 * before:YYYY-MM-DD, after:YYYY-MM-DD. A bad operator rejects with code
 * "invalid_query" and field "query".
 */
export interface SearchRequest {
  query: string;
  /** The last row shown; the page holds older matches. */
  before: TimelineCursor | null;
  limit: number;
}

/** How an account signs in. */
export type AuthKind = "password" | "google" | "microsoft";
export type OAuthProviderId = "google" | "microsoft";

/** The sentences the browser shows when a sign-in ends, in the user's language. */
export interface BrowserPages {
  successTitle: string;
  successBody: string;
  failureTitle: string;
  failureBody: string;
}

/** The follow-up radar's settings (issue 10). */
export interface FollowUpSettings {
  /** Working days after which an unanswered thread shows up. */
  replyWaitDays: number;
  /** How far back waiting threads are looked for. */
  lookbackDays: number;
  /** Days without mail before a contact goes cold, unless the contact has its own. */
  cadenceDays: number;
}

export interface FollowUpQuery {
  /** Stages that can go cold; null means lead, prospect and customer. */
  stages: string[] | null;
  contactId: number | null;
  /** Items per list; 0 means 200. The counts are always complete. */
  limit: number;
}

export interface FollowUpPerson {
  contactId: number | null;
  address: string;
  name: string;
}

export interface WaitingThread {
  threadId: number;
  /** The newest message of the thread: snooze and dismiss name it. */
  messageId: number;
  subject: string;
  date: number;
  workingDays: number;
  person: FollowUpPerson;
}

export interface ColdContact {
  contactId: number;
  displayName: string;
  email: string;
  stage: string;
  lastContactAt: number | null;
  cadenceDays: number;
  overdueDays: number;
}

export type FollowUpStatus = "overdue" | "due" | "upcoming";

export interface FollowUpDate {
  contactId: number;
  displayName: string;
  email: string;
  stage: string;
  followUpAt: number;
  status: FollowUpStatus;
}

export interface FollowUpCounts {
  awaitingReply: number;
  awaitingMe: number;
  goingCold: number;
  /** Follow-up dates due today or overdue. */
  due: number;
}

export interface FollowUpLists {
  settings: FollowUpSettings;
  counts: FollowUpCounts;
  awaitingReply: WaitingThread[];
  awaitingMe: WaitingThread[];
  goingCold: ColdContact[];
  followUps: FollowUpDate[];
}

export interface MonthActivity {
  /** "YYYY-MM" */
  month: string;
  sent: number;
  received: number;
}

export interface ContactActivity {
  contactId: number;
  /** The last twelve months, oldest first. */
  months: MonthActivity[];
  myMedianReplySecs: number | null;
  theirMedianReplySecs: number | null;
  lastInboundAt: number | null;
  lastOutboundAt: number | null;
  /** The contact's own cadence; null follows defaultCadenceDays. */
  cadenceDays: number | null;
  defaultCadenceDays: number;
}

// ---- Compose and send ----

export type ReplyKind = "reply" | "replyAll" | "forward";

/** The compose form as the core builds a message from it. */
export interface ComposeDraft {
  accountId: number;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  html: string;
  /** Paths chosen with the picker or dropped on the window. */
  attachments: string[];
  inReplyTo: string | null;
  references: string[];
}

export interface QueuedMessage {
  outboxId: number;
  messageId: string;
}

export interface ReplyDraft {
  accountId: number;
  to: string[];
  cc: string[];
  subject: string;
  quoteHtml: string;
  inReplyTo: string | null;
  references: string[];
}

export interface MailtoForm {
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  body: string;
  bodyHtml: string;
}

export type OutboxState = "queued" | "sending" | "sent" | "failed";

export interface OutboxEntry {
  id: number;
  accountId: number;
  accountEmail: string;
  messageId: string;
  subject: string;
  /** JSON array of addresses. */
  recipients: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
  /** pending, copying, done, provider, none, failed */
  copyState: string;
  /** When a failed copy into Sent is tried again (seconds). */
  copyNextAt: number;
}

export interface AddressSuggestion {
  name: string;
  address: string;
  isContact: boolean;
}

export interface MessageTemplate {
  id: number;
  name: string;
  subject: string;
  html: string;
}

export interface FilledTemplate {
  subject: string;
  html: string;
  missing: string[];
}

export interface Signature {
  accountId: number;
  newHtml: string;
  replyHtml: string;
  aboveQuote: boolean;
}

export interface SavedDraft {
  id: number;
  accountId: number | null;
  /** The compose form as JSON. */
  content: string;
  subject: string;
  updatedAt: number;
}

/** App-wide settings the Rust side acts on (tray, login item, notifications). */
export interface AppSettings {
  closeToTray: boolean;
  startAtLogin: boolean;
  notifications: NotificationSettings;
}

export interface NotificationSettings {
  enabled: boolean;
  /** Every new message, not only mail from contacts. */
  allMail: boolean;
  quietHours: QuietHours;
}

/** Minutes after local midnight; the span may wrap past midnight. */
export interface QuietHours {
  enabled: boolean;
  startMinute: number;
  endMinute: number;
}

/** One new message in a notice; `threadId` is the conversation a click opens. */
export interface NewMail {
  messageId: number;
  threadId: number;
  accountId: number;
  subject: string;
  fromName: string;
  fromAddress: string;
  contactId: number | null;
  date: number;
}

/** Everything new since the last look, newest first (`messages` holds the newest few). */
export interface NewMailNotice {
  messages: NewMail[];
  total: number;
  senders: number;
}

/** The tray menu's words, in the window's language; `{count}` in `unread`. */
export interface TrayLabels {
  open: string;
  syncNow: string;
  pauseSync: string;
  quit: string;
  unread: string;
}
