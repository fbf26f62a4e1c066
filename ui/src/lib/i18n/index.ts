// A deliberately small message layer: one JSON catalogue per language with the same keys,
// `{name}` placeholders, plural forms chosen by Intl.PluralRules from the `count`
// parameter, numbers and dates through Intl. Everything here reads the reactive locale,
// so a template that calls these re-renders when the language changes.
import cs from "./cs.json";
import en from "./en.json";
import { language, type Locale } from "./locale.svelte";
import pl from "./pl.json";
import sk from "./sk.json";
import uk from "./uk.json";

export { language, languageNames, locales, type LanguagePreference, type Locale } from "./locale.svelte";

export type MessageKey = keyof typeof en;
export type MessageParams = Record<string, string | number>;

type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
type Message = string | PluralForms;
type Catalogue = Readonly<Record<string, Message>>;

export const catalogues: Readonly<Record<Locale, Catalogue>> = { en, cs, sk, pl, uk };

/** The language the UI speaks now ("en", "cs", ...), for Intl and `lang` attributes. */
export function currentLocale(): Locale {
  return language.locale;
}

/** Intl formatters are costly to build: one set per language, made on first use. */
class Formats {
  readonly plural: Intl.PluralRules;
  readonly number: Intl.NumberFormat;
  readonly relative: Intl.RelativeTimeFormat;
  readonly dateTime: Intl.DateTimeFormat;
  readonly date: Intl.DateTimeFormat;
  readonly time: Intl.DateTimeFormat;
  readonly dayMonth: Intl.DateTimeFormat;
  readonly sizes: Intl.NumberFormat[];
  readonly durations: Record<"second" | "minute" | "hour", Intl.NumberFormat>;

  constructor(locale: Locale) {
    this.plural = new Intl.PluralRules(locale);
    this.number = new Intl.NumberFormat(locale);
    this.relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
    this.dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
    this.date = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
    this.time = new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit" });
    this.dayMonth = new Intl.DateTimeFormat(locale, { month: "short", day: "numeric" });
    this.sizes = (["kilobyte", "megabyte", "gigabyte"] as const).map(
      (unit) => new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "short", maximumFractionDigits: 1 }),
    );
    const duration = (unit: "second" | "minute" | "hour") =>
      new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "short" });
    this.durations = { second: duration("second"), minute: duration("minute"), hour: duration("hour") };
  }
}

const formatsByLocale = new Map<Locale, Formats>();

function formatsFor(locale: Locale): Formats {
  let formats = formatsByLocale.get(locale);
  if (!formats) {
    formats = new Formats(locale);
    formatsByLocale.set(locale, formats);
  }
  return formats;
}

function formats(): Formats {
  return formatsFor(language.locale);
}

/**
 * The message for `key` with `{name}` placeholders filled from `params`.
 * Numbers are formatted for the locale ("1,234", "1 234"); pass a string to keep one
 * verbatim (a port number, say). A plural message picks its form from `params.count`.
 * A key a catalogue lacks (a string added since it was translated) falls back to English.
 */
export function t(key: MessageKey, params: MessageParams = {}): string {
  const locale = language.locale;
  let messageLocale: Locale = locale;
  let message = catalogues[locale][key];
  if (message === undefined) {
    messageLocale = "en";
    message = catalogues.en[key];
  }
  if (message === undefined) return key;
  const template =
    typeof message === "string" ? message : pluralForm(message, params.count, formatsFor(messageLocale).plural);
  const numbers = formatsFor(locale).number;
  return template.replace(/\{(\w+)\}/g, (placeholder, name: string) => {
    const value = params[name];
    if (value === undefined) return placeholder;
    return typeof value === "number" ? numbers.format(value) : value;
  });
}

function pluralForm(forms: PluralForms, count: string | number | undefined, rules: Intl.PluralRules): string {
  const n = typeof count === "number" ? count : Number(count);
  if (Number.isNaN(n)) return forms.other;
  return forms[rules.select(n)] ?? forms.other;
}

export function formatNumber(value: number): string {
  return formats().number.format(value);
}

export function formatDateTime(date: Date): string {
  return formats().dateTime.format(date);
}

export function formatDate(date: Date): string {
  return formats().date.format(date);
}

/** The time of day: "9:05 AM", "9:05". */
export function formatTime(date: Date): string {
  return formats().time.format(date);
}

/** Day and month without the year: "Mar 4", "4. 3.". */
export function formatDayMonth(date: Date): string {
  return formats().dayMonth.format(date);
}

/** A file size in its largest sensible unit: "512 bytes", "12.4 kB", "3 MB" (1 kB = 1,000 bytes). */
export function formatFileSize(bytes: number): string {
  if (bytes < 1000) return t("common.bytes", { count: Math.max(0, Math.round(bytes)) });
  const sizes = formats().sizes;
  let value = bytes / 1000;
  let step = 0;
  while (value >= 1000 && step < sizes.length - 1) {
    value /= 1000;
    step += 1;
  }
  return sizes[step]!.format(value);
}

/** A rough length of time in its largest sensible unit: "45 sec", "3 min", "1.5 hr". */
export function formatDuration(seconds: number): string {
  const durations = formats().durations;
  const whole = Math.max(1, Math.round(seconds));
  if (whole < 60) return durations.second.format(whole);
  const minutes = Math.round(whole / 60);
  if (minutes < 60) return durations.minute.format(minutes);
  const hours = whole / 3600;
  return durations.hour.format(hours < 10 ? Math.round(hours * 10) / 10 : Math.round(hours));
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
  const relative = formats().relative;
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return relative.format(Math.trunc(seconds / size), unit);
  }
  return relative.format(Math.trunc(seconds / 60), "minute");
}
