// Which message a field of an account form shows: the Rust side's, until the field is
// edited; otherwise the field's own check, once the user left the field or tried to go on.
import type { AccountField, FieldErrors } from "./accountDraft";

export class FormErrors {
  /** Messages from the Rust side, by field. */
  server = $state<FieldErrors>({});
  private shown = $state<Partial<Record<AccountField, boolean>>>({});

  constructor(private readonly clientErrors: () => FieldErrors) {}

  errorFor(field: AccountField): string | null {
    const fromServer = this.server[field];
    if (fromServer) return fromServer;
    return this.shown[field] ? (this.clientErrors()[field] ?? null) : null;
  }

  edited(field: AccountField): void {
    delete this.server[field];
  }

  blurred(field: AccountField): void {
    this.shown[field] = true;
  }

  /** Shows the checks of these fields from now on. */
  reveal(errors: FieldErrors): void {
    for (const field of Object.keys(errors) as AccountField[]) this.shown[field] = true;
  }

  clear(fields: Iterable<AccountField>): void {
    for (const field of fields) delete this.server[field];
  }
}
