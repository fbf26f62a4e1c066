// The state of the search field and its results. Typing schedules a search after a
// short pause; every change of the text makes earlier answers stale, so a slow answer
// to "inv" can never replace the results for "invoice".
import * as api from "../lib/api";
import { toCommandError } from "../lib/errors";
import { t } from "../lib/i18n";
import type { MessageListItem, SearchRequest, ThreadListItem } from "../lib/types";

export const SEARCH_DELAY_MS = 150;
export const SEARCH_PAGE = 50;

type SearchFn = (request: SearchRequest) => Promise<MessageListItem[]>;

/** What the list's shortcuts do to a search result (e, #, u, s, v). */
export type ResultAction = "archive" | "trash" | "toggleRead" | "toggleFlag" | "move";

/**
 * The conversation of a search result, as a list row: the reader opens conversations,
 * and the result's thread need not be among the rows the list has loaded.
 */
export function threadOf(row: MessageListItem): ThreadListItem {
  return {
    threadId: row.threadId,
    latest: row,
    subject: row.subject,
    messageCount: row.threadCount,
    unreadCount: row.seen ? 0 : 1,
    flagged: row.flagged,
    hasAttachments: row.hasAttachments,
  };
}

export class MessageSearch {
  /** What is in the field. */
  text = $state("");
  /** Matches for `searchedText`, newest first. */
  results = $state<MessageListItem[]>([]);
  /** The text the results (or the error) belong to; null before the first answer. */
  searchedText = $state<string | null>(null);
  /** Why the query cannot run (a bad operator), or why the search failed. */
  error = $state<string | null>(null);
  /** The error is about what was typed (not a failure of Rapport). */
  errorInQuery = $state(false);
  loading = $state(false);
  hasMore = $state(false);
  /** The row the arrow keys, j and k have moved to. */
  cursor = $state(0);
  /** A query is typed: the list shows results instead of the inbox. */
  active = $derived(this.text.trim() !== "");

  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly search: SearchFn;
  private readonly delay: number;

  constructor(search: SearchFn = api.searchMessages, delay = SEARCH_DELAY_MS) {
    this.search = search;
    this.delay = delay;
  }

  /** The field changed: search again after a pause. */
  input(text: string) {
    this.text = text;
    const generation = ++this.generation;
    clearTimeout(this.timer);
    if (text.trim() === "") {
      this.reset();
      return;
    }
    this.timer = setTimeout(() => void this.run(generation, false), this.delay);
  }

  /** Empties the field and drops every pending answer. */
  clear() {
    this.input("");
  }

  /** The store changed: search the current text again (its first page), if any. */
  refresh() {
    if (!this.active) return;
    const generation = ++this.generation;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.run(generation, false), this.delay);
  }

  /** The next page of the current results. */
  async loadMore() {
    if (this.loading || !this.hasMore) return;
    await this.run(this.generation, true);
  }

  /** The highlighted result, if any. */
  cursorRow(): MessageListItem | undefined {
    return this.results[this.cursor];
  }

  move(by: number) {
    if (this.results.length === 0) return;
    this.cursor = Math.min(this.results.length - 1, Math.max(0, this.cursor + by));
  }

  private reset() {
    this.results = [];
    this.searchedText = null;
    this.error = null;
    this.errorInQuery = false;
    this.loading = false;
    this.hasMore = false;
    this.cursor = 0;
  }

  private async run(generation: number, more: boolean) {
    const text = this.text;
    const last = more ? this.results[this.results.length - 1] : undefined;
    this.loading = true;
    try {
      const page = await this.search({
        query: text,
        before: last ? { date: last.date, messageId: last.id } : null,
        limit: SEARCH_PAGE,
      });
      if (generation !== this.generation) return;
      this.results = more ? [...this.results, ...page] : page;
      this.hasMore = page.length === SEARCH_PAGE;
      this.error = null;
      this.errorInQuery = false;
      if (!more) this.cursor = 0;
    } catch (reason) {
      if (generation !== this.generation) return;
      const failure = toCommandError(reason);
      this.errorInQuery = failure.field === "query";
      this.error = failure.message || t("search.failed");
      if (!more) {
        this.results = [];
        this.hasMore = false;
      }
    } finally {
      if (generation === this.generation) {
        this.searchedText = text;
        this.loading = false;
      }
    }
  }
}
