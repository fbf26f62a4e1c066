// The conversation list's state changes, kept pure so they are easy to test: merging a
// fresh first page into what is shown (mail arrived while syncing), and the optimistic
// edits of an action before the store answers.
import type { ActionKind, ThreadListItem } from "../lib/types";

/** Newer first: by the date, then id, of the thread's newest message in the list. */
function newer(a: ThreadListItem, b: ThreadListItem): boolean {
  return a.latest.date > b.latest.date || (a.latest.date === b.latest.date && a.latest.id > b.latest.id);
}

/**
 * `current` with a freshly read first page laid over it. Threads on the page replace
 * their old rows (a new reply moves a thread up); rows older than the page stay as they
 * are; a row within the page's range that the page lacks has left the list (archived
 * elsewhere) and goes. With `complete` (the page is the whole list) only the page stays.
 */
export function mergeHead(current: ThreadListItem[], head: ThreadListItem[], complete: boolean): ThreadListItem[] {
  if (complete || head.length === 0) return complete ? head : current;
  const onPage = new Set(head.map((t) => t.threadId));
  const oldest = head[head.length - 1]!;
  const rest = current.filter((t) => !onPage.has(t.threadId) && newer(oldest, t));
  return [...head, ...rest];
}

/** Does the thread leave a list when this action is taken in it? */
export function leavesList(kind: ActionKind): boolean {
  return kind === "archive" || kind === "trash" || kind === "move" || kind === "deleteForever";
}

/** The row as it looks right after the action, before the store confirms. */
export function afterAction(row: ThreadListItem, kind: ActionKind): ThreadListItem {
  switch (kind) {
    case "markRead":
      return { ...row, unreadCount: 0, latest: { ...row.latest, seen: true } };
    case "markUnread":
      return { ...row, unreadCount: Math.max(1, row.unreadCount), latest: { ...row.latest, seen: false } };
    case "flag":
      return { ...row, flagged: true, latest: { ...row.latest, flagged: true } };
    case "unflag":
      return { ...row, flagged: false, latest: { ...row.latest, flagged: false } };
    default:
      return row;
  }
}

/**
 * Where the cursor goes when rows change: the row it was on, found by thread; if that
 * row left, the one that took its place (or the new last row).
 */
export function followCursor(before: ThreadListItem[], after: ThreadListItem[], cursor: number): number {
  if (after.length === 0) return 0;
  const threadId = before[cursor]?.threadId;
  const kept = threadId === undefined ? -1 : after.findIndex((t) => t.threadId === threadId);
  if (kept >= 0) return kept;
  return Math.min(cursor, after.length - 1);
}
