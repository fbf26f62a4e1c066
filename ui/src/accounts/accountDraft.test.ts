// @vitest-environment node
import { describe, expect, it } from "vitest";
import {
  domainOf,
  emptyDraft,
  fieldForServerError,
  portAfterSecurityChange,
  toNewAccount,
  validateDraft,
} from "./accountDraft";

describe("account draft", () => {
  it("reads the domain of an address as it is typed", () => {
    expect(domainOf("alice")).toBeNull();
    expect(domainOf("alice@")).toBeNull();
    expect(domainOf("alice@Example.ORG ")).toBe("example.org");
  });

  it("accepts ordinary addresses and local test ones, and nothing else", () => {
    const emailError = (email: string) => validateDraft({ ...emptyDraft(), email }).email;
    expect(emailError("alice@example.org")).toBeUndefined();
    expect(emailError("alice+crm@mail.example.co.uk")).toBeUndefined();
    expect(emailError("alice@localhost")).toBeUndefined();
    expect(emailError("alice@example")).toBeDefined();
    expect(emailError("alice example@example.org")).toBeDefined();
    expect(emailError("@example.org")).toBeDefined();
    expect(emailError("")).toBe("Enter your email address.");
  });

  it("checks server names and ports", () => {
    const errors = validateDraft({ ...emptyDraft(), imapHost: "imap.example.org", imapPort: "70000", smtpHost: "smtp example", smtpPort: "x" });
    expect(errors.imapHost).toBeUndefined();
    expect(errors.imapPort).toBeDefined();
    expect(errors.smtpHost).toBeDefined();
    expect(errors.smtpPort).toBeDefined();
  });

  it("moves a default port with the security setting but keeps a typed one", () => {
    expect(portAfterSecurityChange("imap", "993", "tls", "starttls")).toBe("143");
    expect(portAfterSecurityChange("smtp", "465", "tls", "starttls")).toBe("587");
    expect(portAfterSecurityChange("smtp", "587", "starttls", "tls")).toBe("465");
    expect(portAfterSecurityChange("imap", "10993", "tls", "starttls")).toBe("10993");
  });

  it("maps the Rust side's field names onto the form", () => {
    expect(fieldForServerError("password")).toBe("password");
    expect(fieldForServerError("imap.host")).toBe("imapHost");
    expect(fieldForServerError("smtpPort")).toBe("smtpPort");
    expect(fieldForServerError("imap")).toBe("imapHost");
    expect(fieldForServerError("sender_name")).toBe("senderName");
    expect(fieldForServerError("something_else")).toBeNull();
    expect(fieldForServerError(null)).toBeNull();
  });

  it("trims the draft into a NewAccount, leaving empty optional fields null", () => {
    const account = toNewAccount({
      ...emptyDraft(),
      email: " alice@example.org ",
      senderName: "Alice ",
      password: " pass with spaces ",
      mailboxName: "Work",
      imapHost: "imap.example.org",
      smtpHost: "smtp.example.org",
    });
    expect(account).toMatchObject({
      email: "alice@example.org",
      senderName: "Alice",
      password: " pass with spaces ",
      mailboxName: "Work",
      username: null,
      imap: { host: "imap.example.org", port: 993, security: "tls" },
      smtp: { host: "smtp.example.org", port: 465, security: "tls" },
      since: "3m",
    });
  });
});
