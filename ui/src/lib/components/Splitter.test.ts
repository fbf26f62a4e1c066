import { fireEvent, render, screen } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { clampWidth, loadWidth, saveWidth } from "../paneSizes";
import Splitter from "./Splitter.svelte";

const limits = { min: 280, max: 760, initial: 380 };

beforeEach(() => localStorage.clear());

describe("Splitter", () => {
  it("is a focusable separator that the arrow keys, Home and End resize", async () => {
    const onResize = vi.fn();
    const onCommit = vi.fn();
    render(Splitter, { width: 380, limits, label: "Resize the message list", onResize, onCommit });
    const splitter = screen.getByRole("separator", { name: "Resize the message list" });
    expect(splitter).toHaveAttribute("tabindex", "0");
    expect(splitter).toHaveAttribute("aria-valuenow", "380");
    expect(splitter).toHaveAttribute("aria-orientation", "vertical");

    await fireEvent.keyDown(splitter, { key: "ArrowRight" });
    expect(onResize).toHaveBeenLastCalledWith(396);
    await fireEvent.keyDown(splitter, { key: "ArrowLeft", shiftKey: true });
    expect(onResize).toHaveBeenLastCalledWith(316);
    await fireEvent.keyDown(splitter, { key: "End" });
    expect(onResize).toHaveBeenLastCalledWith(760);
    await fireEvent.keyDown(splitter, { key: "Home" });
    expect(onCommit).toHaveBeenLastCalledWith(280);
  });

  it("follows the pointer while dragged, within the limits", async () => {
    const onResize = vi.fn();
    const onCommit = vi.fn();
    render(Splitter, { width: 380, limits, label: "Resize", onResize, onCommit });
    const splitter = screen.getByRole("separator");
    await fireEvent.pointerDown(splitter, { button: 0, clientX: 600, pointerId: 1 });
    await fireEvent.pointerMove(splitter, { clientX: 650, pointerId: 1 });
    expect(onResize).toHaveBeenLastCalledWith(430);
    await fireEvent.pointerMove(splitter, { clientX: 100, pointerId: 1 });
    expect(onResize).toHaveBeenLastCalledWith(280);
    await fireEvent.pointerUp(splitter, { pointerId: 1 });
    expect(onCommit).toHaveBeenCalledOnce();
    // Moving after the drag ended does nothing.
    await fireEvent.pointerMove(splitter, { clientX: 900, pointerId: 1 });
    expect(onResize).toHaveBeenCalledTimes(2);
  });
});

describe("pane widths", () => {
  it("are remembered within their limits", () => {
    expect(loadWidth("list", limits)).toBe(380);
    saveWidth("list", 512.4);
    expect(loadWidth("list", limits)).toBe(512);
    localStorage.setItem("rapport.pane.list", "5000");
    expect(loadWidth("list", limits)).toBe(760);
    localStorage.setItem("rapport.pane.list", "wide");
    expect(loadWidth("list", limits)).toBe(380);
    expect(clampWidth(Number.NaN, limits)).toBe(380);
  });
});
