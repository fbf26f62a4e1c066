// What the settings panel sends: the options and servers as edited, the password only
// when the user typed a new one.
import type { AccountSettingsUpdate, AccountSummary } from "../lib/types";
import {
  serverChoiceOf,
  serverDraftOf,
  sinceOf,
  usesPlaintext,
  type OptionsDraft,
  type ServerDraft,
} from "../accounts/accountDraft";

export function serverDraftOfAccount(account: AccountSummary): ServerDraft {
  const draft = serverDraftOf(account.imap, account.smtp, account.username);
  // A saved unencrypted server was allowed when it was added.
  draft.allowPlaintext = account.allowPlaintext ?? usesPlaintext(draft);
  return draft;
}

export function settingsUpdate(
  account: AccountSummary,
  options: OptionsDraft,
  servers: ServerDraft,
  newPassword: string,
): AccountSettingsUpdate {
  const choice = serverChoiceOf(servers, account.email);
  return {
    senderName: options.senderName.trim(),
    mailboxName: options.mailboxName.trim() || account.email,
    since: sinceOf(options),
    keepPolicy: options.keepPolicy,
    contactPolicy: options.contactPolicy,
    newSendersAreLeads: options.newSendersAreLeads,
    pollIntervalSecs: options.pollIntervalSecs,
    folders: [...options.folders],
    imap: choice.imap,
    smtp: choice.smtp,
    username: choice.username,
    password: newPassword === "" ? null : newPassword,
    pinnedSha256: account.pinnedSha256 ?? null,
    allowPlaintext: choice.allowPlaintext,
  };
}
