// Pane widths the user chose by dragging a splitter, remembered across launches.

export interface PaneLimits {
  min: number;
  max: number;
  initial: number;
}

export function clampWidth(width: number, limits: PaneLimits): number {
  if (!Number.isFinite(width)) return limits.initial;
  return Math.round(Math.min(limits.max, Math.max(limits.min, width)));
}

export function loadWidth(name: string, limits: PaneLimits): number {
  try {
    const stored = localStorage.getItem(`rapport.pane.${name}`);
    return stored === null ? limits.initial : clampWidth(Number(stored), limits);
  } catch {
    return limits.initial;
  }
}

export function saveWidth(name: string, width: number): void {
  try {
    localStorage.setItem(`rapport.pane.${name}`, String(Math.round(width)));
  } catch {
    // Private mode or a full disk: the width is simply not remembered.
  }
}
