import type { CommandError } from "./types";

/** A rejected command, thrown by the api module. Carries the CommandError fields. */
export class CommandFailure extends Error implements CommandError {
  readonly code: string;
  readonly field: string | null;

  constructor({ code, message, field }: CommandError) {
    super(message);
    this.name = "CommandFailure";
    this.code = code;
    this.field = field;
  }
}

/**
 * Normalises whatever a command (or anything else) rejected with into a CommandError.
 * Tauri rejects with the serialised error object; panics and plugin errors arrive as strings.
 */
export function toCommandError(reason: unknown): CommandError {
  if (reason instanceof CommandFailure) return reason;
  if (typeof reason === "string") return { code: "internal", message: reason, field: null };
  if (typeof reason === "object" && reason !== null) {
    const r = reason as Record<string, unknown>;
    if (typeof r.message === "string") {
      return {
        code: typeof r.code === "string" ? r.code : "internal",
        message: r.message,
        field: typeof r.field === "string" && r.field !== "" ? r.field : null,
      };
    }
  }
  return { code: "internal", message: String(reason), field: null };
}
