// How a message list shows a date: the time for today, day and month this year, the
// full date before that.
import { locale } from "../lib/i18n";

const timeFormat = new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric" });
const fullFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });

export function formatListDate(date: Date, now: Date): string {
  if (date.toDateString() === now.toDateString()) return timeFormat.format(date);
  if (date.getFullYear() === now.getFullYear()) return dayFormat.format(date);
  return fullFormat.format(date);
}
