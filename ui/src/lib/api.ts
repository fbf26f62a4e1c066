// The only module that talks to the Rust side. Components call these functions,
// never `invoke` directly, so the IPC contract lives in one place.
import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { openUrl } from "@tauri-apps/plugin-opener";
import { CommandFailure, toCommandError } from "./errors";
import type {
  AccountSettingsUpdate,
  AccountSummary,
  ConnectionReport,
  ConnectionRequest,
  DiscoveredSettings,
  FolderInfo,
  NewAccount,
  SyncOutcome,
  SyncProgress,
} from "./types";

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
