import { describe, expect, it } from "vitest";
import { threadListItem } from "../test/fixtures";
import { afterAction, followCursor, leavesList, mergeHead } from "./threadList";

const rows = (...ids: number[]) => ids.map((id) => threadListItem(id));
const ids = (list: { threadId: number }[]) => list.map((t) => t.threadId);

describe("mergeHead", () => {
  it("puts new conversations on top and keeps the older rows already loaded", () => {
    // Lower ids are newer in the fixtures.
    const current = rows(10, 11, 12, 13, 14, 15);
    const head = rows(1, 2, 10, 11);
    expect(ids(mergeHead(current, head, false))).toEqual([1, 2, 10, 11, 12, 13, 14, 15]);
  });

  it("moves a conversation with a new reply to the top, once", () => {
    const current = rows(10, 11, 12, 13);
    const replied = threadListItem(12, { latest: threadListItem(1).latest, messageCount: 2 });
    const merged = mergeHead(current, [replied, threadListItem(10), threadListItem(11)], false);
    expect(ids(merged)).toEqual([12, 10, 11, 13]);
    expect(merged[0]!.messageCount).toBe(2);
  });

  it("drops a row within the page that the page no longer has", () => {
    const current = rows(10, 11, 12, 13);
    expect(ids(mergeHead(current, rows(10, 12), false))).toEqual([10, 12, 13]);
  });

  it("takes a complete page as the whole list", () => {
    expect(ids(mergeHead(rows(10, 11, 12), rows(9, 10), true))).toEqual([9, 10]);
    expect(ids(mergeHead(rows(10, 11), [], false))).toEqual([10, 11]);
  });
});

describe("row changes", () => {
  it("shows read, unread and flag marks at once", () => {
    const row = threadListItem(1, { unreadCount: 3 });
    expect(afterAction(row, "markRead").unreadCount).toBe(0);
    expect(afterAction(afterAction(row, "markRead"), "markUnread").unreadCount).toBe(1);
    expect(afterAction(row, "flag").flagged).toBe(true);
    expect(afterAction(row, "archive")).toBe(row);
    expect(leavesList("archive") && leavesList("trash") && leavesList("move") && leavesList("deleteForever")).toBe(true);
    expect(leavesList("markRead")).toBe(false);
  });

  it("keeps the cursor on its row, or on the row that took its place", () => {
    const before = rows(1, 2, 3, 4);
    expect(followCursor(before, rows(0, 1, 2, 3, 4), 2)).toBe(3);
    expect(followCursor(before, rows(1, 2, 4), 2)).toBe(2);
    expect(followCursor(before, rows(1, 2, 3), 3)).toBe(2);
    expect(followCursor(before, [], 1)).toBe(0);
  });
});
