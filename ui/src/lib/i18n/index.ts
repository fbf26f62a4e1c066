// A deliberately small message layer: one JSON catalogue per language, `{name}`
// placeholders, plural forms chosen by Intl.PluralRules from the `count` parameter,
// numbers and dates through Intl. More languages add a catalogue next to en.json.
import en from "./en.json";

export type MessageKey = keyof typeof en;
export type MessageParams = Record<string, string | number>;

type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
type Message = string | PluralForms;

export const locale = "en";
const catalogue: Record<string, Message> = en;

const pluralRules = new Intl.PluralRules(locale);
const numberFormat = new Intl.NumberFormat(locale);
const relativeFormat = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
const dateTimeFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
const dateFormat = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });

/**
 * The message for `key` with `{name}` placeholders filled from `params`.
 * Numbers are formatted for the locale ("1,234"); pass a string to keep one verbatim
 * (a port number, say). A plural message picks its form from `params.count`.
 */
export function t(key: MessageKey, params: MessageParams = {}): string {
  const message = catalogue[key];
  if (message === undefined) return key;
  const template = typeof message === "string" ? message : pluralForm(message, params.count);
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = params[name];
    if (value === undefined) return placeholder;
    return typeof value === "number" ? numberFormat.format(value) : value;
  });
}

function pluralForm(forms: PluralForms, count: string | number | undefined): string {
  const n = typeof count === "number" ? count : Number(count);
  if (Number.isNaN(n)) return forms.other;
  return forms[pluralRules.select(n)] ?? forms.other;
}

export function formatNumber(value: number): string {
  return numberFormat.format(value);
}

export function formatDateTime(date: Date): string {
  return dateTimeFormat.format(date);
}

export function formatDate(date: Date): string {
  return dateFormat.format(date);
}

const sizeFormats = (["kilobyte", "megabyte", "gigabyte"] as const).map(
  (unit) => new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }),
);

/** A file size in its largest sensible unit: "512 bytes", "12.4 kB", "3 MB" (1 kB = 1,000 bytes). */
export function formatFileSize(bytes: number): string {
  if (bytes < 1000) return t("common.bytes", { count: Math.max(0, Math.round(bytes)) });
  let value = bytes / 1000;
  let step = 0;
  while (value >= 1000 && step < sizeFormats.length - 1) {
    value /= 1000;
    step += 1;
  }
  return sizeFormats[step]!.format(value);
}

const durationFormats = {
  second: new Intl.NumberFormat(locale, { style: "unit", unit: "second", unitDisplay: "short" }),
  minute: new Intl.NumberFormat(locale, { style: "unit", unit: "minute", unitDisplay: "short" }),
  hour: new Intl.NumberFormat(locale, { style: "unit", unit: "hour", unitDisplay: "short" }),
};

/** A rough length of time in its largest sensible unit: "45 sec", "3 min", "1.5 hr". */
export function formatDuration(seconds: number): string {
  const whole = Math.max(1, Math.round(seconds));
  if (whole < 60) return durationFormats.second.format(whole);
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return durationFormats.minute.format(minutes);
  const hours = whole / 3600;
  return durationFormats.hour.format(hours < 10 ? Math.round(hours * 10) / 10 : Math.round(hours));
}

const units: ReadonlyArray<[Intl.RelativeTimeFormatUnit, number]> = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
];

/** "3 minutes ago", "yesterday", "just now" (under a minute, either way). */
export function formatRelativeTime(date: Date, now: Date): string {
  const seconds = (date.getTime() - now.getTime()) / 1000;
  if (Math.abs(seconds) < 60) return t("time.justNow");
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relativeFormat.format(Math.trunc(seconds / size), unit);
  }
  return relativeFormat.format(Math.trunc(seconds / 60), "minute");
}
