// How a message list shows a date: the time for today, day and month this year, the
// full date before that, each in the UI's language.
import { formatDate, formatDayMonth, formatTime } from "../lib/i18n";

export function formatListDate(date: Date, now: Date): string {
  if (date.toDateString() === now.toDateString()) return formatTime(date);
  if (date.getFullYear() === now.getFullYear()) return formatDayMonth(date);
  return formatDate(date);
}
