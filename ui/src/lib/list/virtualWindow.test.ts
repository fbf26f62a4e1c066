import { render } from "@testing-library/svelte";
import { describe, expect, it, vi } from "vitest";
import VirtualListHarness from "../../test/VirtualListHarness.svelte";
import { scrollToShow, windowRange } from "./virtualWindow";

describe("windowRange", () => {
  it("covers the viewport plus the overscan, within the list", () => {
    expect(windowRange(0, 560, 56, 100_000, 5)).toEqual({ start: 0, end: 15 });
    expect(windowRange(56 * 50_000, 560, 56, 100_000, 5)).toEqual({ start: 49_995, end: 50_015 });
    expect(windowRange(56 * 99_995, 560, 56, 100_000, 5)).toEqual({ start: 99_990, end: 100_000 });
    expect(windowRange(0, 560, 56, 3, 5)).toEqual({ start: 0, end: 3 });
    expect(windowRange(100, 560, 56, 0, 5)).toEqual({ start: 0, end: 0 });
  });

  it("scrolls as little as needed to show a row", () => {
    expect(scrollToShow(2, 0, 560, 56)).toBe(0);
    expect(scrollToShow(10, 0, 560, 56)).toBe(56 * 11 - 560);
    expect(scrollToShow(3, 56 * 20, 560, 56)).toBe(56 * 3);
  });
});

describe("VirtualList", () => {
  it("keeps only the rows in view in the DOM, even for 100,000 rows", async () => {
    const items = Array.from({ length: 100_000 }, (_, i) => i);
    const onNearEnd = vi.fn();
    const { container } = render(VirtualListHarness, { items, onNearEnd });
    const viewport = container.querySelector<HTMLElement>(".viewport")!;
    const shown = () => [...container.querySelectorAll("[data-row]")].map((r) => Number(r.getAttribute("data-row")));

    expect(shown().length).toBeLessThan(40);
    expect(shown()[0]).toBe(0);
    const spacer = container.querySelector<HTMLElement>(".spacer")!;
    expect(spacer.style.height).toBe(`${100_000 * 56}px`);
    expect(onNearEnd).not.toHaveBeenCalled();

    viewport.scrollTop = 56 * 60_000;
    viewport.dispatchEvent(new Event("scroll"));
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(shown().length).toBeLessThan(40);
    expect(shown()).toContain(60_000);
    expect(shown()).not.toContain(0);

    viewport.scrollTop = 56 * 99_990;
    viewport.dispatchEvent(new Event("scroll"));
    await new Promise((r) => setTimeout(r, 0));
    expect(shown()).toContain(99_999);
    expect(onNearEnd).toHaveBeenCalled();
  });
});
