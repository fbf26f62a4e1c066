/**
 * A SHA-256 fingerprint as people compare it: upper-case hex in groups of four,
 * so "3a7f19c2…" reads "3A7F 19C2 …" and a mismatch is easy to spot.
 */
export function fingerprintGroups(hex: string): string[] {
  const clean = hex.replace(/[^0-9a-f]/gi, "").toUpperCase();
  return clean.match(/.{1,4}/g) ?? [];
}
