// The mailboxes and their folders as the sidebar shows them, with unread counts and the
// changes still waiting for each server. Kept live: re-read (at most every so often) when
// a sync reports progress and after every action taken in the app.
import * as api from "../lib/api";
import { t } from "../lib/i18n";
import type { AccountSummary, FolderInfo, PendingSummary, SyncProgress } from "../lib/types";

/** Re-reads are bunched: a sync reports after every batch. */
const refreshDelayMs = 700;
const collapsedKey = "rapport.sidebar.collapsed";

function loadCollapsed(): Record<number, boolean> {
  try {
    const stored = JSON.parse(localStorage.getItem(collapsedKey) ?? "{}") as unknown;
    return stored && typeof stored === "object" ? (stored as Record<number, boolean>) : {};
  } catch {
    return {};
  }
}

/** A folder's name for people: servers call every inbox "INBOX". */
export function folderName(folder: FolderInfo): string {
  return folder.role === "inbox" && folder.rawName.toUpperCase() === "INBOX" ? t("nav.inbox") : folder.displayName;
}

export class MailFolders {
  accounts = $state<AccountSummary[]>([]);
  folders = $state<Record<number, FolderInfo[]>>({});
  pending = $state<Record<number, PendingSummary>>({});
  collapsed = $state<Record<number, boolean>>(loadCollapsed());
  loadError = $state<string | null>(null);
  /** Changes the servers refused, each undone: sentences for the user until dismissed. */
  notices = $state<string[]>([]);
  /** Bumped whenever the mail in the store may have changed; lists watch it. */
  version = $state(0);

  private timer: ReturnType<typeof setTimeout> | null = null;

  /** Unread conversations' messages in every account's inbox. */
  get inboxUnread(): number {
    let total = 0;
    for (const list of Object.values(this.folders)) {
      for (const folder of list) if (folder.role === "inbox") total += folder.unreadCount;
    }
    return total;
  }

  folder(folderId: number): FolderInfo | null {
    for (const list of Object.values(this.folders)) {
      const found = list.find((f) => f.id === folderId);
      if (found) return found;
    }
    return null;
  }

  accountOf(folderId: number): AccountSummary | null {
    for (const [accountId, list] of Object.entries(this.folders)) {
      if (list.some((f) => f.id === folderId)) return this.accounts.find((a) => a.id === Number(accountId)) ?? null;
    }
    return null;
  }

  async refresh(): Promise<void> {
    try {
      const [accounts, pending] = await Promise.all([api.listAccounts(), api.pendingChanges()]);
      const lists = await Promise.all(accounts.map((a) => api.listFolders(a.id)));
      const folders: Record<number, FolderInfo[]> = {};
      accounts.forEach((account, index) => {
        folders[account.id] = lists[index] ?? [];
      });
      this.accounts = accounts;
      this.folders = folders;
      this.pending = Object.fromEntries((pending ?? []).map((p) => [p.accountId, p]));
      this.loadError = null;
    } catch (reason) {
      this.loadError = reason instanceof Error ? reason.message : String(reason);
    }
  }

  /** Asks for a re-read soon, bunching requests that come close together. */
  changed(): void {
    this.version += 1;
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, refreshDelayMs);
  }

  /** Whether a sync event means stored mail changed. */
  static storesMail(event: SyncProgress): boolean {
    switch (event.kind) {
      case "folder":
        return event.done > 0;
      case "finished":
      case "changes":
        return true;
      default:
        return false;
    }
  }

  /** Follows background syncs; resolves to the function that stops following. */
  async follow(): Promise<() => void> {
    const stop = await api.onSyncProgress((event) => {
      if (event.kind === "changes" && event.rolledBack.length > 0) {
        this.notices = [...this.notices, ...event.rolledBack];
      }
      if (MailFolders.storesMail(event)) this.changed();
    });
    return typeof stop === "function" ? stop : () => {};
  }

  dismissNotice(index: number): void {
    this.notices = this.notices.filter((_, i) => i !== index);
  }

  toggle(accountId: number): void {
    this.collapsed = { ...this.collapsed, [accountId]: !this.collapsed[accountId] };
    try {
      localStorage.setItem(collapsedKey, JSON.stringify(this.collapsed));
    } catch {
      // Not remembered; nothing else is lost.
    }
  }
}
