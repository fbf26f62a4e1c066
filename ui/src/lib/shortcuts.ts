// Keyboard shortcuts: one window listener (in App) and layers of bindings that screens
// register while they are shown; the newest layer wins. Two-key sequences start with
// "g" ("g i": go to the inbox). Nothing fires while the user types in a field or works
// in a dialog.

/** Every shortcut Rapport has, as the help sheet lists them. */
export const shortcutKeys = ["j", "k", "Enter", "e", "#", "u", "s", "v", "/", "g i", "g c", "?", "c", "r", "a", "f"] as const;

export type ShortcutKey = (typeof shortcutKeys)[number];

export type Bindings = Partial<Record<ShortcutKey, () => void>>;

/** How long the second key of a sequence may wait after "g". */
const sequenceWindowMs = 1500;

/** True when keys typed at `target` are text, not commands. */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  // (jsdom has no isContentEditable; the attribute says the same.)
  if (target.isContentEditable || target.closest('[contenteditable]:not([contenteditable="false"])')) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["checkbox", "radio", "button", "submit", "reset", "range", "color", "file"].includes(target.type);
  }
  return target.getAttribute("role") === "textbox" || target.getAttribute("role") === "combobox";
}

/** True when the key belongs to an open dialog, which handles its own keys. */
function inDialog(target: EventTarget | null): boolean {
  return target instanceof Element && target.closest('[role="dialog"], [role="alertdialog"]') !== null;
}

/** Enter on a button or link is that control's own click. */
function activatesControl(target: EventTarget | null): boolean {
  return (
    target instanceof Element &&
    target.closest('button, a[href], summary, [role="button"], [role="link"], [role="menuitem"]') !== null
  );
}

export class Shortcuts {
  private layers: Bindings[] = [];
  private prefix: { key: string; at: number } | null = null;

  /** Adds a layer of bindings; returns the function that removes it. */
  register(bindings: Bindings): () => void {
    const layer = { ...bindings };
    this.layers.push(layer);
    return () => {
      this.layers = this.layers.filter((l) => l !== layer);
    };
  }

  private find(key: ShortcutKey): (() => void) | undefined {
    for (let i = this.layers.length - 1; i >= 0; i -= 1) {
      const run = this.layers[i]![key];
      if (run) return run;
    }
    return undefined;
  }

  private startsSequence(key: string): boolean {
    return this.layers.some((layer) => Object.keys(layer).some((k) => k.startsWith(`${key} `)));
  }

  /** Runs the binding for this key press, if any. True when it was handled. */
  handle(event: KeyboardEvent, now: number = Date.now()): boolean {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return false;
    if (isTyping(event.target) || inDialog(event.target)) {
      this.prefix = null;
      return false;
    }
    const key = event.key;
    const prefix = this.prefix;
    this.prefix = null;
    if (prefix && now - prefix.at <= sequenceWindowMs) {
      const run = this.find(`${prefix.key} ${key}` as ShortcutKey);
      if (!run) return false;
      event.preventDefault();
      run();
      return true;
    }
    if (key === "g" && this.startsSequence(key)) {
      this.prefix = { key, at: now };
      event.preventDefault();
      return true;
    }
    if (key === "Enter" && activatesControl(event.target)) return false;
    const run = this.find(key as ShortcutKey);
    if (!run) return false;
    event.preventDefault();
    run();
    return true;
  }
}

/** The app's shortcuts; App listens on the window and hands key presses to it. */
export const shortcuts = new Shortcuts();

/** Moves focus to the search field when the screen has one. */
export function focusSearch(): boolean {
  const field = document.querySelector<HTMLElement>("[data-search-input]");
  if (!field) return false;
  field.focus();
  if (field instanceof HTMLInputElement) field.select();
  return true;
}
