// One shape for a folder in the folder picker, whether it comes from a connection test
// (the wizard) or from the database (account settings).
import type { FolderInfo, FolderRole, RemoteFolderInfo } from "../lib/types";

export interface FolderChoice {
  rawName: string;
  displayName: string;
  role: FolderRole | null;
  /** False for \Noselect containers: shown as a group heading, never synced. */
  selectable: boolean;
  depth: number;
  messageCount: number | null;
}

export function choicesFromReport(folders: readonly RemoteFolderInfo[]): FolderChoice[] {
  return folders.map(({ rawName, displayName, role, selectable, depth, messageCount }) => ({
    rawName,
    displayName,
    role,
    selectable,
    depth,
    messageCount,
  }));
}

/** The folders a connection test suggests syncing. */
export function defaultSelection(folders: readonly RemoteFolderInfo[]): string[] {
  return folders.filter((f) => f.selectable && f.selectedByDefault).map((f) => f.rawName);
}

/**
 * Stored folders carry no nesting level; a folder's parent is the longest other name
 * that prefixes it up to a hierarchy delimiter ("/" or ".", the two servers use).
 */
export function choicesFromAccount(folders: readonly FolderInfo[]): FolderChoice[] {
  const names = new Set(folders.map((f) => f.rawName));
  const depths = new Map<string, number>();
  const depthOf = (name: string): number => {
    const known = depths.get(name);
    if (known !== undefined) return known;
    let parent: string | null = null;
    for (let i = name.length - 1; i > 0 && parent === null; i -= 1) {
      const ch = name[i];
      if ((ch === "/" || ch === ".") && names.has(name.slice(0, i))) parent = name.slice(0, i);
    }
    const depth = parent === null ? 0 : depthOf(parent) + 1;
    depths.set(name, depth);
    return depth;
  };
  return folders.map(({ rawName, displayName, role, selectable, messageCount }) => ({
    rawName,
    displayName,
    role,
    selectable,
    depth: depthOf(rawName),
    messageCount,
  }));
}
