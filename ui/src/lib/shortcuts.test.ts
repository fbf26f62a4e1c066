import { afterEach, describe, expect, it, vi } from "vitest";
import { Shortcuts, focusSearch, isTyping } from "./shortcuts";

function press(target: EventTarget, key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true, ...init });
  Object.defineProperty(event, "target", { value: target });
  return event;
}

afterEach(() => {
  document.body.innerHTML = "";
});

describe("Shortcuts", () => {
  it("runs the binding of the newest layer and removes a layer on request", () => {
    const shortcuts = new Shortcuts();
    const screen = { e: vi.fn(), j: vi.fn() };
    const dialog = { e: vi.fn() };
    shortcuts.register(screen);
    const remove = shortcuts.register(dialog);

    const event = press(document.body, "e");
    expect(shortcuts.handle(event)).toBe(true);
    expect(event.defaultPrevented).toBe(true);
    expect(dialog.e).toHaveBeenCalledOnce();
    expect(screen.e).not.toHaveBeenCalled();

    remove();
    shortcuts.handle(press(document.body, "e"));
    shortcuts.handle(press(document.body, "j"));
    expect(screen.e).toHaveBeenCalledOnce();
    expect(screen.j).toHaveBeenCalledOnce();
    expect(shortcuts.handle(press(document.body, "x"))).toBe(false);
  });

  it("reads # and ? as typed, with Shift", () => {
    const shortcuts = new Shortcuts();
    const bindings = { "#": vi.fn(), "?": vi.fn() };
    shortcuts.register(bindings);
    shortcuts.handle(press(document.body, "#", { shiftKey: true }));
    shortcuts.handle(press(document.body, "?", { shiftKey: true }));
    expect(bindings["#"]).toHaveBeenCalledOnce();
    expect(bindings["?"]).toHaveBeenCalledOnce();
  });

  it("takes g then a letter as one shortcut, within a moment", () => {
    const shortcuts = new Shortcuts();
    const bindings = { "g i": vi.fn(), "g c": vi.fn(), e: vi.fn() };
    shortcuts.register(bindings);

    expect(shortcuts.handle(press(document.body, "g"), 1000)).toBe(true);
    expect(shortcuts.handle(press(document.body, "i"), 1500)).toBe(true);
    expect(bindings["g i"]).toHaveBeenCalledOnce();

    shortcuts.handle(press(document.body, "g"), 2000);
    shortcuts.handle(press(document.body, "c"), 2100);
    expect(bindings["g c"]).toHaveBeenCalledOnce();

    // Too late: the second key is a key of its own.
    shortcuts.handle(press(document.body, "g"), 5000);
    shortcuts.handle(press(document.body, "e"), 9000);
    expect(bindings.e).toHaveBeenCalledOnce();
    // An unknown second key does nothing, and is not taken as its own shortcut either.
    shortcuts.handle(press(document.body, "g"), 10000);
    expect(shortcuts.handle(press(document.body, "e"), 10100)).toBe(false);
    expect(bindings.e).toHaveBeenCalledOnce();
  });

  it("never fires while the user types, in a dialog, or with a modifier", () => {
    const shortcuts = new Shortcuts();
    const bindings = { e: vi.fn(), "g i": vi.fn() };
    shortcuts.register(bindings);
    document.body.innerHTML = `
      <input id="text" type="text"><input id="search" type="search"><textarea id="area"></textarea>
      <div id="editor" contenteditable="true"></div><input id="box" type="checkbox">
      <div role="dialog"><button id="inside">OK</button></div>`;
    for (const id of ["text", "search", "area", "editor", "inside"]) {
      expect(shortcuts.handle(press(document.getElementById(id)!, "e")), id).toBe(false);
    }
    expect(shortcuts.handle(press(document.body, "e", { ctrlKey: true }))).toBe(false);
    expect(shortcuts.handle(press(document.body, "e", { metaKey: true }))).toBe(false);
    expect(bindings.e).not.toHaveBeenCalled();
    // A checkbox is not a text field.
    expect(shortcuts.handle(press(document.getElementById("box")!, "e"))).toBe(true);
    // "g" typed in a field does not start a sequence.
    shortcuts.handle(press(document.getElementById("text")!, "g"), 0);
    expect(shortcuts.handle(press(document.body, "i"), 10)).toBe(false);
  });

  it("leaves Enter on a button to the button", () => {
    const shortcuts = new Shortcuts();
    const open = vi.fn();
    shortcuts.register({ Enter: open });
    document.body.innerHTML = `<button id="b">Go</button><div id="list" role="listbox" tabindex="0"></div>`;
    expect(shortcuts.handle(press(document.getElementById("b")!, "Enter"))).toBe(false);
    expect(shortcuts.handle(press(document.getElementById("list")!, "Enter"))).toBe(true);
    expect(open).toHaveBeenCalledOnce();
  });
});

describe("isTyping and focusSearch", () => {
  it("knows text fields", () => {
    document.body.innerHTML = `<input id="a"><input id="b" type="radio"><div id="c" role="textbox"></div>`;
    expect(isTyping(document.getElementById("a"))).toBe(true);
    expect(isTyping(document.getElementById("b"))).toBe(false);
    expect(isTyping(document.getElementById("c"))).toBe(true);
    expect(isTyping(null)).toBe(false);
  });

  it("focuses the search field when the screen has one", () => {
    expect(focusSearch()).toBe(false);
    document.body.innerHTML = `<input id="q" data-search-input value="from:jan">`;
    expect(focusSearch()).toBe(true);
    expect(document.activeElement).toBe(document.getElementById("q"));
  });
});
