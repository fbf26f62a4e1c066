// Dates cross the IPC boundary as Unix seconds; the date input speaks YYYY-MM-DD in
// local time. A follow-up is a day, so it is stored as that day's local midnight.

export function fromUnix(seconds: number): Date {
  return new Date(seconds * 1000);
}

export function toDateInput(seconds: number | null): string {
  if (seconds === null) return "";
  const date = fromUnix(seconds);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export function fromDateInput(value: string): number | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return null;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return Math.floor(date.getTime() / 1000);
}
