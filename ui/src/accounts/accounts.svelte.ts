// State of the Accounts screen: the accounts as the database has them, plus the syncs
// running now, whether started here or by the app in the background. The list is
// re-read from the database after every change, so the Rust side stays the one
// source of truth.
import * as api from "../lib/api";
import { toCommandError } from "../lib/errors";
import type {
  AccountSettingsUpdate,
  AccountSummary,
  BrowserPages,
  NewAccount,
  OAuthProviderId,
  SyncProgress,
} from "../lib/types";

/** A sync in progress; `folder` is null until the first folder event. */
export interface SyncActivity {
  folder: string | null;
  done: number;
  total: number;
  /** Messages per second so far; 0 while unknown. */
  rate: number;
  /** Seconds left at that rate; null while unknown. */
  etaSecs: number | null;
}

function starting(): SyncActivity {
  return { folder: null, done: 0, total: 0, rate: 0, etaSecs: null };
}

export class AccountsStore {
  accounts = $state<AccountSummary[]>([]);
  /** False until the first list arrives, so the screen shows neither state before it. */
  loaded = $state(false);
  loadError = $state<string | null>(null);
  syncs = $state<Record<number, SyncActivity>>({});
  /** The failure of the latest sync this session, until the next one starts. */
  syncErrors = $state<Record<number, string>>({});
  /** Accounts whose "Sign in again" waits for the browser. */
  signingIn = $state<Record<number, boolean>>({});
  /** Accounts with a sync() call running; bookkeeping only, so not reactive. */
  private readonly ownSyncs = new Set<number>();

  /**
   * Shows the syncs the app runs in the background on the rows, like those started
   * here, until the returned function is called.
   */
  follow(): () => void {
    let stopped = false;
    let unlisten: (() => void) | undefined;
    api
      .onSyncProgress((event) => {
        if (!stopped) this.applyBackground(event);
      })
      .then(
        (stop) => {
          if (stopped) stop();
          else unlisten = stop;
        },
        () => {
          // The rows still show the syncs started here, and the list is re-read after each.
        },
      );
    return () => {
      stopped = true;
      unlisten?.();
    };
  }

  async load(): Promise<void> {
    try {
      this.accounts = await api.listAccounts();
      this.loadError = null;
    } catch (reason) {
      this.loadError = toCommandError(reason).message;
    } finally {
      this.loaded = true;
    }
  }

  /** Adds the account (the Rust side checks the connection first), then syncs it. */
  async add(account: NewAccount, grant?: string): Promise<AccountSummary> {
    const added = grant ? await api.addAccountSignedIn(account, grant) : await api.addAccount(account);
    this.replace(added);
    void this.sync(added.id);
    return added;
  }

  /** Saves changed settings (the Rust side re-tests a changed login), then syncs with them. */
  async update(accountId: number, update: AccountSettingsUpdate): Promise<AccountSummary> {
    const saved = await api.updateAccount(accountId, update);
    this.replace(saved);
    void this.sync(accountId);
    return saved;
  }

  /** Lifts the pause of an account and syncs it; a failure shows on its row. */
  async reconnect(accountId: number): Promise<void> {
    delete this.syncErrors[accountId];
    try {
      this.replace(await api.reconnectAccount(accountId));
    } catch (reason) {
      this.syncErrors[accountId] = toCommandError(reason).message;
      return;
    }
    await this.sync(accountId);
  }

  /**
   * "Sign in again" for an account whose provider no longer honours its sign-in: the
   * browser sign-in, then the renewed account syncs. Cancelling is quiet.
   */
  async signInAgain(account: AccountSummary, pages: BrowserPages): Promise<void> {
    const provider = account.authKind === "google" || account.authKind === "microsoft" ? account.authKind : null;
    if (!provider || this.signingIn[account.id]) return;
    delete this.syncErrors[account.id];
    this.signingIn[account.id] = true;
    try {
      const grant = await api.oauthSignIn(provider, account.email, pages);
      this.replace(await api.signInAgain(account.id, grant));
    } catch (reason) {
      const error = toCommandError(reason);
      if (error.code !== "oauth_cancelled") this.syncErrors[account.id] = error.message;
      return;
    } finally {
      delete this.signingIn[account.id];
    }
    await this.sync(account.id);
  }

  /**
   * Moves a password account to its provider's sign-in (the browser sign-in, then the
   * switch, which logs in with it first) and syncs it. Rejects with the CommandError,
   * a cancelled sign-in included, for the settings dialog to show.
   */
  async switchToSignIn(account: AccountSummary, provider: OAuthProviderId, pages: BrowserPages): Promise<AccountSummary> {
    const grant = await api.oauthSignIn(provider, account.email, pages);
    return this.switched(await api.useSignIn(account.id, grant));
  }

  /** Moves a signed-in account to a password (tested first) and syncs it. */
  async switchToPassword(accountId: number, password: string): Promise<AccountSummary> {
    return this.switched(await api.usePassword(accountId, password));
  }

  private switched(account: AccountSummary): AccountSummary {
    this.replace(account);
    delete this.syncErrors[account.id];
    void this.sync(account.id);
    return account;
  }

  cancelSignIn(): void {
    void api.cancelOAuthSignIn().catch(() => undefined);
  }

  async remove(accountId: number): Promise<void> {
    await api.removeAccount(accountId);
    this.accounts = this.accounts.filter((a) => a.id !== accountId);
    delete this.syncErrors[accountId];
  }

  async sync(accountId: number): Promise<void> {
    if (this.syncs[accountId]) return;
    this.ownSyncs.add(accountId);
    this.syncs[accountId] = starting();
    delete this.syncErrors[accountId];
    try {
      const outcome = await api.syncAccount(accountId, (event) => this.applyProgress(event));
      this.patch(accountId, {
        messageCount: outcome.messageCount,
        lastSyncAt: new Date().toISOString(),
        lastError: null,
      });
    } catch (reason) {
      this.syncErrors[accountId] = toCommandError(reason).message;
    } finally {
      this.ownSyncs.delete(accountId);
      delete this.syncs[accountId];
      await this.refresh();
    }
  }

  /** Applies an event of a sync, started here or in the background. */
  private applyProgress(event: SyncProgress): void {
    const id = event.accountId;
    switch (event.kind) {
      case "started":
        this.syncs[id] = starting();
        delete this.syncErrors[id];
        break;
      case "folder": {
        const { folder, done, total, rate, etaSecs } = event;
        this.syncs[id] = { folder, done, total, rate, etaSecs };
        break;
      }
      case "finished":
        this.patch(id, { messageCount: event.messageCount });
        break;
      case "failed":
        this.syncErrors[id] = event.message;
        break;
      case "paused":
        this.patch(id, { state: "paused", pausedReason: event.reason });
        break;
    }
  }

  /**
   * A background sync also has to end on the row when it ends, as sync() does for
   * its own; while one of those runs, it stays in charge of the row.
   */
  private applyBackground(event: SyncProgress): void {
    this.applyProgress(event);
    const id = event.accountId;
    if (event.kind === "started" || event.kind === "folder" || event.kind === "changes" || this.ownSyncs.has(id)) return;
    delete this.syncs[id];
    // Its end changed the account as stored: the count, the last error, a pause and
    // whether the provider wants a new sign-in (which only the account itself says).
    void this.refreshAccount(id);
  }

  private replace(account: AccountSummary): void {
    const index = this.accounts.findIndex((a) => a.id === account.id);
    if (index < 0) this.accounts = [...this.accounts, account];
    else this.accounts[index] = account;
  }

  private patch(accountId: number, changes: Partial<AccountSummary>): void {
    const account = this.accounts.find((a) => a.id === accountId);
    if (account) Object.assign(account, changes);
  }

  /** Re-reads one account as stored; a failure keeps what is shown. */
  private async refreshAccount(accountId: number): Promise<void> {
    try {
      const fresh = (await api.listAccounts()).find((a) => a.id === accountId);
      // Not if it was removed meanwhile.
      if (fresh && this.accounts.some((a) => a.id === accountId)) this.replace(fresh);
    } catch {
      // The count from the event is still shown.
    }
  }

  /** Re-reads the list; a failure keeps what is shown. */
  private async refresh(): Promise<void> {
    try {
      this.accounts = await api.listAccounts();
    } catch {
      // The list on screen is still right as far as we know.
    }
  }
}
