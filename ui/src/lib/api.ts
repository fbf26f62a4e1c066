// The only module that talks to the Rust side. Components call these functions,
// never `invoke` directly, so the IPC contract lives in one place.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { open as openFileDialog, save as saveFileDialog } from "@tauri-apps/plugin-dialog";
import { openUrl } from "@tauri-apps/plugin-opener";
import { CommandFailure, toCommandError } from "./errors";
import type {
  AccountSettingsUpdate,
  AccountSummary,
  CompanyPage,
  CompanySummary,
  ConnectionReport,
  ConnectionRequest,
  ContactCard,
  ContactFileFormat,
  ContactFilter,
  ContactSummary,
  ContactUpdate,
  Correspondent,
  DiscoveredSettings,
  FolderInfo,
  ImportOutcome,
  MessageDetail,
  MessageListItem,
  MessagePerson,
  MessageQuery,
  NewAccount,
  SearchRequest,
  SyncOutcome,
  SyncProgress,
  TimelineCursor,
  TimelineEntry,
} from "./types";
import type { ContactActivity, FollowUpLists, FollowUpQuery, FollowUpSettings } from "./types";
import type { TextPart } from "./types";
import type { ActionOutcome, MessageAction, PendingSummary, ThreadPage } from "./types";
import type { BrowserPages, OAuthProviderId } from "./types";
import type {
  AddressSuggestion,
  ComposeDraft,
  FilledTemplate,
  MailtoForm,
  MessageTemplate,
  OutboxEntry,
  QueuedMessage,
  ReplyDraft,
  ReplyKind,
  SavedDraft,
  Signature,
} from "./types";
import type { AppSettings, NewMailNotice, TrayLabels } from "./types";

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (reason) {
    throw new CommandFailure(toCommandError(reason));
  }
}

export function listAccounts(): Promise<AccountSummary[]> {
  return call("list_accounts");
}

/** Finds the servers for an address; rejects with field "email" when it is no address. */
export function discoverSettings(email: string): Promise<DiscoveredSettings> {
  return call("discover_settings", { email });
}

/**
 * Signs in to IMAP and SMTP with these settings and lists the folders. Server problems
 * come back in the report; only invalid input rejects.
 */
export function testConnection(request: ConnectionRequest): Promise<ConnectionReport> {
  return call("test_connection", { request });
}

export function addAccount(account: NewAccount): Promise<AccountSummary> {
  return call("add_account", { account });
}

export function updateAccount(accountId: number, update: AccountSettingsUpdate): Promise<AccountSummary> {
  return call("update_account", { accountId, update });
}

/** Clears the paused state of an account; the caller syncs it next. */
export function reconnectAccount(accountId: number): Promise<AccountSummary> {
  return call("reconnect_account", { accountId });
}

export function listFolders(accountId: number): Promise<FolderInfo[]> {
  return call("list_folders", { accountId });
}

export function removeAccount(accountId: number): Promise<void> {
  return call("remove_account", { accountId });
}

/** Runs one sync of the account; `onProgress` receives its events as they happen. */
export function syncAccount(
  accountId: number,
  onProgress: (event: SyncProgress) => void,
): Promise<SyncOutcome> {
  const channel = new Channel<SyncProgress>();
  channel.onmessage = onProgress;
  return call("sync_account", { accountId, onProgress: channel });
}

/**
 * Follows the syncs the app runs in the background (IDLE and polling); they are not
 * reported to any `syncAccount` call. Resolves to the function that stops following.
 */
export function onSyncProgress(handler: (event: SyncProgress) => void): Promise<UnlistenFn> {
  return listen<SyncProgress>("sync-progress", (event) => handler(event.payload));
}

/** Opens a web page in the user's browser. */
export async function openExternal(url: string): Promise<void> {
  try {
    await openUrl(url);
  } catch (reason) {
    throw new CommandFailure(toCommandError(reason));
  }
}

export function listContacts(filter: ContactFilter): Promise<ContactSummary[]> {
  return call("list_contacts", { filter });
}

export function contactCard(contactId: number): Promise<ContactCard> {
  return call("contact_card", { contactId });
}

/** The entries older than `before` (the last one shown), newest first. */
export function contactTimeline(
  contactId: number,
  before: TimelineCursor | null,
  limit: number,
): Promise<TimelineEntry[]> {
  return call("contact_timeline", { contactId, before, limit });
}

export function updateContact(contactId: number, update: ContactUpdate): Promise<ContactCard> {
  return call("update_contact", { contactId, update });
}

/** Makes a contact of an address and links the mail already stored with it. */
export function createContact(address: string, displayName: string | null): Promise<ContactCard> {
  return call("create_contact", { address, displayName });
}

/** Rejects with field "address" when another contact has the address. */
export function addContactAddress(contactId: number, address: string): Promise<ContactCard> {
  return call("add_contact_address", { contactId, address });
}

export function removeContactAddress(contactId: number, address: string): Promise<ContactCard> {
  return call("remove_contact_address", { contactId, address });
}

/** Moves the addresses, mail and notes of `mergeId` into `keepId`, and deletes `mergeId`. */
export function mergeContacts(keepId: number, mergeId: number): Promise<ContactCard> {
  return call("merge_contacts", { keepId, mergeId });
}

/** Deletes the contact; its mail stays, unlinked. */
export function deleteContact(contactId: number): Promise<void> {
  return call("delete_contact", { contactId });
}

/** Ignores an address ("a@b.cz") or a whole domain ("@b.cz") for contacts. */
export function ignoreCorrespondent(value: string): Promise<void> {
  return call("ignore_correspondent", { value });
}

export function listCompanies(query: string | null): Promise<CompanySummary[]> {
  return call("list_companies", { query });
}

export function companyPage(companyId: number): Promise<CompanyPage> {
  return call("company_page", { companyId });
}

export function unlinkedCorrespondents(limit: number): Promise<Correspondent[]> {
  return call("unlinked_correspondents", { limit });
}

/** Writes every contact to `path`; resolves to how many were written. */
export function exportContacts(format: ContactFileFormat, path: string): Promise<number> {
  return call("export_contacts", { format, path });
}

export function importContacts(format: ContactFileFormat, path: string): Promise<ImportOutcome> {
  return call("import_contacts", { format, path });
}

const fileFilters: Record<ContactFileFormat, { name: string; extensions: string[] }> = {
  vcard: { name: "vCard", extensions: ["vcf", "vcard"] },
  csv: { name: "CSV", extensions: ["csv"] },
};

/** Asks where to save a contacts file; null when the user cancels. */
export async function chooseSavePath(format: ContactFileFormat, defaultName: string): Promise<string | null> {
  try {
    return await saveFileDialog({ defaultPath: defaultName, filters: [fileFilters[format]] });
  } catch (reason) {
    throw new CommandFailure(toCommandError(reason));
  }
}

/** Asks for a vCard or CSV file to import; null when the user cancels. */
export async function chooseContactsFile(): Promise<string | null> {
  try {
    const path = await openFileDialog({
      multiple: false,
      directory: false,
      filters: [{ name: "vCard, CSV", extensions: [...fileFilters.vcard.extensions, ...fileFilters.csv.extensions] }],
    });
    return typeof path === "string" ? path : null;
  } catch (reason) {
    throw new CommandFailure(toCommandError(reason));
  }
}

/** A page of a message list, newest first. */
export function listMessages(query: MessageQuery): Promise<MessageListItem[]> {
  return call("list_messages", { query });
}

export function messageDetail(messageId: number): Promise<MessageDetail> {
  return call("message_detail", { messageId });
}

/** Downloads the attachment when needed and opens it with the system's app for its type. */
export function openAttachment(attachmentId: number): Promise<void> {
  return call("open_attachment", { attachmentId });
}

/** A message's text in runs of the sender's own and quoted text (for a timeline entry opened in place). */
export function messageText(messageId: number): Promise<TextPart[]> {
  return call("message_text", { messageId });
}

/** The message's HTML with its inline (cid:) images embedded, downloading them if needed. */
export function messageInlineImages(messageId: number): Promise<string> {
  return call("message_inline_images", { messageId });
}

/** "Always show remote images from this sender", or (allowed false) ask again. */
export function setRemoteImagesAllowed(address: string, allowed: boolean): Promise<void> {
  return call("set_remote_images_allowed", { address, allowed });
}

/** From, To and Cc of a message without the user's own addresses, with card summaries. */
export function messagePeople(messageId: number): Promise<MessagePerson[]> {
  return call("message_people", { messageId });
}

/**
 * Asks where to save the attachment (the dialog is opened by the Rust side) and saves it
 * there; resolves to the path, or null when the user cancels.
 */
export function saveAttachment(attachmentId: number): Promise<string | null> {
  return call("save_attachment", { attachmentId });
}

/**
 * Follows clicks on links in the message frame. The frame runs no script; the Rust side
 * refuses the navigation and reports the link's real target here.
 */
export function onMailLink(handler: (url: string) => void): Promise<UnlistenFn> {
  return listen<{ url: string }>("mail-link", (event) => handler(event.payload.url));
}

/** A page of a message list grouped into conversations, newest first. */
export function listThreads(query: MessageQuery): Promise<ThreadPage> {
  return call("list_threads", { query });
}

/** Every message of a conversation, oldest first. */
export function threadMessages(threadId: number): Promise<MessageListItem[]> {
  return call("thread_messages", { threadId });
}

/** Changes the local store at once; the server follows in the background. */
export function applyAction(action: MessageAction): Promise<ActionOutcome> {
  return call("apply_action", { action });
}

/** Changes each account's server does not have yet. */
export function pendingChanges(): Promise<PendingSummary[]> {
  return call("pending_changes");
}

/** A page of messages matching a search, newest first, from every account. */
export function searchMessages(request: SearchRequest): Promise<MessageListItem[]> {
  return call("search_messages", { request });
}

// Sign in with Google / Microsoft (OAuth2). Tokens never reach the UI: a finished
// sign-in is an opaque grant id the calls below take.

/** The providers this build has a client id for. */
export function oauthProviders(): Promise<OAuthProviderId[]> {
  return call("oauth_providers");
}

/** Opens the provider's page in the browser and resolves once the user has signed in. */
export function oauthSignIn(provider: OAuthProviderId, email: string, pages: BrowserPages): Promise<string> {
  return call("oauth_sign_in", { provider, email, pages });
}

export function cancelOAuthSignIn(): Promise<void> {
  return call("cancel_oauth_sign_in");
}

export function testConnectionSignedIn(request: ConnectionRequest, grant: string): Promise<ConnectionReport> {
  return call("test_connection_signed_in", { request, grant });
}

export function addAccountSignedIn(account: NewAccount, grant: string): Promise<AccountSummary> {
  return call("add_account_signed_in", { account, grant });
}

/** Replaces a sign-in the provider no longer honours; the caller syncs next. */
export function signInAgain(accountId: number, grant: string): Promise<AccountSummary> {
  return call("sign_in_again", { accountId, grant });
}

/** Moves a password account to the provider's sign-in; the caller syncs next. */
export function useSignIn(accountId: number, grant: string): Promise<AccountSummary> {
  return call("use_sign_in", { accountId, grant });
}

/** Moves a signed-in account to a password, tested first; the caller syncs next. */
export function usePassword(accountId: number, password: string): Promise<AccountSummary> {
  return call("use_password", { accountId, password });
}

/** The follow-up radar: waiting for a reply, waiting on me, going cold, follow-up dates. */
export function listFollowUps(query: FollowUpQuery): Promise<FollowUpLists> {
  return call("list_follow_ups", { query });
}

/** Hides a waiting thread until `until` (Unix seconds), or until it moves on when null. */
export function snoozeFollowUp(messageId: number, until: number | null): Promise<void> {
  return call("snooze_follow_up", { messageId, until });
}

/** Shows a snoozed or dismissed thread again. */
export function restoreFollowUp(messageId: number): Promise<void> {
  return call("restore_follow_up", { messageId });
}

/** Rejects with field "replyWaitDays", "lookbackDays" or "cadenceDays" when out of range. */
export function updateFollowUpSettings(settings: FollowUpSettings): Promise<FollowUpSettings> {
  return call("update_follow_up_settings", { settings });
}

/** Mail per month, reply times and cadence for a contact card. */
export function contactActivity(contactId: number): Promise<ContactActivity> {
  return call("contact_activity", { contactId });
}

/** A contact's own cadence in days, or null for the usual one. */
export function setContactCadence(contactId: number, days: number | null): Promise<ContactActivity> {
  return call("set_contact_cadence", { contactId, days });
}

// ---- Compose and send ----

/** Queues the message; the outbox sends it in the background (now, or when back online). */
export function sendMessage(draft: ComposeDraft): Promise<QueuedMessage> {
  return call("send_message", { draft });
}

/** The compose form prefilled to reply to, reply to all or forward a stored message. */
export function replyDraft(messageId: number, kind: ReplyKind, attribution: string): Promise<ReplyDraft> {
  return call("reply_draft", { messageId, kind, attribution });
}

/** A mailto: link (RFC 6068) as compose fields. */
export function parseMailto(url: string): Promise<MailtoForm> {
  return call("parse_mailto", { url });
}

export function outboxEntries(): Promise<OutboxEntry[]> {
  return call("outbox_entries");
}

export function retryOutgoing(id: number): Promise<void> {
  return call("retry_outgoing", { id });
}

export function cancelOutgoing(id: number): Promise<void> {
  return call("cancel_outgoing", { id });
}

export function defaultSendAccount(): Promise<number | null> {
  return call("default_send_account");
}

export function setDefaultSendAccount(accountId: number): Promise<void> {
  return call("set_default_send_account", { accountId });
}

export function addressSuggestions(query: string): Promise<AddressSuggestion[]> {
  return call("address_suggestions", { query });
}

/** The system file picker (run on the Rust side); the chosen paths, empty if cancelled. */
export function pickAttachments(): Promise<string[]> {
  return call("pick_attachments");
}

export function listTemplates(): Promise<MessageTemplate[]> {
  return call("list_templates");
}

export function saveTemplate(template: MessageTemplate): Promise<number> {
  return call("save_template", { template });
}

export function deleteTemplate(id: number): Promise<void> {
  return call("delete_template", { id });
}

export function fillTemplate(
  templateId: number,
  accountId: number,
  recipient: string | null,
  today: string,
  now: string,
): Promise<FilledTemplate> {
  return call("fill_template", { templateId, accountId, recipient, today, now });
}

export function saveDraft(id: number | null, accountId: number | null, subject: string, content: string): Promise<number> {
  return call("save_draft", { id, accountId, subject, content });
}

export function deleteDraft(id: number): Promise<void> {
  return call("delete_draft", { id });
}

/** After each round of the background sender. */
export function onOutboxChanged(handler: () => void): Promise<UnlistenFn> {
  return listen("outbox-changed", () => handler());
}

/** Files dropped on the window (already allowed as attachments on the Rust side). */
export function onFilesDropped(handler: (paths: string[]) => void): Promise<UnlistenFn> {
  return listen<string[]>("compose-files-dropped", (event) => handler(event.payload));
}

export function listDrafts(): Promise<SavedDraft[]> {
  return call("list_drafts");
}

export function getSignature(accountId: number): Promise<Signature> {
  return call("get_signature", { accountId });
}

/** Saves the signatures; resolves to them as stored (sanitised). */
export function saveSignature(signature: Signature): Promise<Signature> {
  return call("save_signature", { signature });
}

/** A forwarded message's attachments as files to attach (downloaded if needed). */
export function forwardAttachments(messageId: number): Promise<string[]> {
  return call("forward_attachments", { messageId });
}

/** Saves the draft here and in the account's Drafts folder. */
export function keepDraft(
  id: number | null,
  draft: ComposeDraft,
  content: string,
): Promise<{ id: number; onServer: boolean; serverError: string | null }> {
  return call("keep_draft", { id, draft, content });
}

export function appSettings(): Promise<AppSettings> {
  return call("app_settings");
}

/** Saves and applies the settings; a failed login-item change rejects with field "startAtLogin". */
export function setAppSettings(settings: AppSettings): Promise<AppSettings> {
  return call("set_app_settings", { settings });
}

export function setTrayLabels(labels: TrayLabels): Promise<void> {
  return call("set_tray_labels", { labels });
}

/** Shows a desktop notification; clicking it opens `threadId` (see `onOpenMessage`). */
export function showNotification(title: string, body: string, threadId: number | null, messageId: number | null): Promise<void> {
  return call("show_notification", { title, body, threadId, messageId });
}

/**
 * Sends the `mailto:` links Rapport was started with as `mail-link` events (once), so they
 * arrive like a later launch's; call it when the listeners are in place. Resolves to how many.
 */
export function deliverLaunchLinks(): Promise<number> {
  return call("deliver_launch_links");
}

/** The "Copy diagnostics" text: versions, account states, recent problems; no secrets. */
export function diagnostics(): Promise<string> {
  return call("diagnostics");
}

/** New mail the core found worth a notification, after a sync pass. */
export function onNewMail(handler: (notice: NewMailNotice) => void): Promise<UnlistenFn> {
  return listen<NewMailNotice>("new-mail", (event) => handler(event.payload));
}

/** Whether background sync is paused (the tray's "Pause sync"). */
export function syncPaused(): Promise<boolean> {
  return call("sync_paused");
}

/** Pauses or resumes background sync for every account. */
export function setSyncPaused(paused: boolean): Promise<void> {
  return call("set_sync_paused", { paused });
}

/** Background sync was paused (`true`) or resumed, from the tray or the window. */
export function onSyncPaused(handler: (paused: boolean) => void): Promise<UnlistenFn> {
  return listen<boolean>("sync-paused", (event) => handler(event.payload));
}

/** A notification was clicked: open that conversation. */
export function onOpenMessage(handler: (target: { threadId: number; messageId: number }) => void): Promise<UnlistenFn> {
  return listen<{ threadId: number; messageId: number }>("open-message", (event) => handler(event.payload));
}
