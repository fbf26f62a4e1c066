// The only module that talks to the Rust side. Components call these functions,
// never `invoke` directly, so the IPC contract lives in one place.
import { Channel, invoke } from "@tauri-apps/api/core";
import { CommandFailure, toCommandError } from "./errors";
import type { AccountSummary, NewAccount, SyncOutcome, SyncProgress } from "./types";

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

export function addAccount(account: NewAccount): Promise<AccountSummary> {
  return call("add_account", { account });
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
