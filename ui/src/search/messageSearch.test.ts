import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CommandFailure } from "../lib/errors";
import type { MessageListItem, SearchRequest } from "../lib/types";
import { messageListItem } from "../test/fixtures";
import { MessageSearch, SEARCH_DELAY_MS, SEARCH_PAGE } from "./messageSearch.svelte";

function rows(from: number, count: number): MessageListItem[] {
  return Array.from({ length: count }, (_, i) => messageListItem(from + i));
}

/** A search function whose answers the test releases one by one. */
function deferredSearch() {
  const pending: { request: SearchRequest; resolve: (r: MessageListItem[]) => void; reject: (e: unknown) => void }[] = [];
  const fn = vi.fn(
    (request: SearchRequest) =>
      new Promise<MessageListItem[]>((resolve, reject) => {
        pending.push({ request, resolve, reject });
      }),
  );
  return { fn, pending };
}

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("MessageSearch", () => {
  it("searches once typing pauses, with the first page", async () => {
    const search = vi.fn(async () => rows(1, 3));
    const state = new MessageSearch(search);
    state.input("i");
    state.input("in");
    state.input("inv");
    expect(state.active).toBe(true);
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS - 1);
    expect(search).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(search).toHaveBeenCalledTimes(1);
    expect(search).toHaveBeenCalledWith({ query: "inv", before: null, limit: SEARCH_PAGE });
    expect(state.results.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(state.searchedText).toBe("inv");
    expect(state.hasMore).toBe(false);
  });

  it("drops an answer that arrives after the text changed", async () => {
    const { fn, pending } = deferredSearch();
    const state = new MessageSearch(fn);
    state.input("inv");
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    state.input("invoice");
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect(pending.map((p) => p.request.query)).toEqual(["inv", "invoice"]);

    pending[1]!.resolve(rows(10, 1));
    await vi.advanceTimersByTimeAsync(0);
    pending[0]!.resolve(rows(1, 5));
    await vi.advanceTimersByTimeAsync(0);
    expect(state.results.map((r) => r.id)).toEqual([10]);
    expect(state.searchedText).toBe("invoice");
    expect(state.loading).toBe(false);
  });

  it("forgets everything when the field is cleared, even an answer on its way", async () => {
    const { fn, pending } = deferredSearch();
    const state = new MessageSearch(fn);
    state.input("offer");
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    state.clear();
    pending[0]!.resolve(rows(1, 2));
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect(state.active).toBe(false);
    expect(state.results).toEqual([]);
    expect(state.searchedText).toBeNull();
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it("shows a bad operator as an error about the query, and recovers", async () => {
    const search = vi
      .fn<(request: SearchRequest) => Promise<MessageListItem[]>>()
      .mockRejectedValueOnce(
        new CommandFailure({
          code: "invalid_query",
          message: "before: needs a date written as YYYY-MM-DD",
          field: "query",
        }),
      )
      .mockResolvedValueOnce(rows(1, 1));
    const state = new MessageSearch(search);
    state.input("before:2026-13-45");
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect(state.error).toContain("before:");
    expect(state.errorInQuery).toBe(true);
    expect(state.results).toEqual([]);

    state.input("before:2026-12-01");
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect(state.error).toBeNull();
    expect(state.errorInQuery).toBe(false);
    expect(state.results).toHaveLength(1);
  });

  it("pages by cursor and moves the highlighted row within the results", async () => {
    const search = vi
      .fn<(request: SearchRequest) => Promise<MessageListItem[]>>()
      .mockResolvedValueOnce(rows(1, SEARCH_PAGE))
      .mockResolvedValueOnce(rows(SEARCH_PAGE + 1, 2));
    const state = new MessageSearch(search);
    state.input("report");
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS);
    expect(state.hasMore).toBe(true);
    await state.loadMore();
    const last = rows(SEARCH_PAGE, 1)[0]!;
    expect(search).toHaveBeenLastCalledWith({
      query: "report",
      before: { date: last.date, messageId: SEARCH_PAGE },
      limit: SEARCH_PAGE,
    });
    expect(state.results).toHaveLength(SEARCH_PAGE + 2);
    expect(state.hasMore).toBe(false);

    state.move(-1);
    expect(state.cursor).toBe(0);
    state.move(3);
    expect(state.cursorRow()?.id).toBe(4);
    state.move(1000);
    expect(state.cursor).toBe(SEARCH_PAGE + 1);
  });

  it("does not search for blank text", async () => {
    const search = vi.fn(async () => rows(1, 1));
    const state = new MessageSearch(search);
    state.input("   ");
    await vi.advanceTimersByTimeAsync(SEARCH_DELAY_MS * 2);
    expect(search).not.toHaveBeenCalled();
    expect(state.active).toBe(false);
  });
});
