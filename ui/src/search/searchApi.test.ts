import { invoke } from "@tauri-apps/api/core";
import { describe, expect, it, vi } from "vitest";
import { searchMessages } from "../lib/api";

vi.mock("@tauri-apps/api/core", () => ({ invoke: vi.fn(), Channel: class {} }));

describe("searchMessages", () => {
  it("calls the Rust command with its request argument", async () => {
    vi.mocked(invoke).mockResolvedValue([]);
    const request = { query: "from:jan", before: { date: 1, messageId: 2 }, limit: 50 };
    await searchMessages(request);
    expect(invoke).toHaveBeenCalledWith("search_messages", { request });
  });
});
