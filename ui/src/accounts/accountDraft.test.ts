// @vitest-environment node
import { describe, expect, it } from "vitest";
import {
  defaultOptions,
  domainOf,
  emailError,
  fieldForServerError,
  guessedServers,
  periodOf,
  portAfterSecurityChange,
  serverChoiceOf,
  sinceOf,
  validateOptions,
  validateServers,
} from "./accountDraft";
import { choicesFromAccount } from "./folders";

const servers = () => guessedServers("alice@example.org");

describe("account fields", () => {
  it("reads the domain of an address as it is typed", () => {
    expect(domainOf("alice")).toBeNull();
    expect(domainOf("alice@")).toBeNull();
    expect(domainOf("alice@Example.ORG ")).toBe("example.org");
  });

  it("accepts ordinary addresses and local test ones, and nothing else", () => {
    expect(emailError("alice@example.org")).toBeUndefined();
    expect(emailError("alice+crm@mail.example.co.uk")).toBeUndefined();
    expect(emailError("alice@localhost")).toBeUndefined();
    expect(emailError("alice@example")).toBeDefined();
    expect(emailError("alice example@example.org")).toBeDefined();
    expect(emailError("@example.org")).toBeDefined();
    expect(emailError("")).toBe("Enter your email address.");
  });

  it("guesses imap. and smtp. hosts with TLS ports from the address", () => {
    expect(servers()).toMatchObject({
      imapHost: "imap.example.org",
      imapPort: "993",
      imapSecurity: "tls",
      smtpHost: "smtp.example.org",
      smtpPort: "465",
      username: "alice@example.org",
    });
  });

  it("checks server names and ports", () => {
    const errors = validateServers({ ...servers(), imapPort: "70000", smtpHost: "smtp example", smtpPort: "x" });
    expect(errors.imapHost).toBeUndefined();
    expect(errors.imapPort).toBeDefined();
    expect(errors.smtpHost).toBeDefined();
    expect(errors.smtpPort).toBeDefined();
  });

  it("refuses an unencrypted server until the user allows it", () => {
    const plain = { ...servers(), smtpSecurity: "none" as const };
    expect(validateServers(plain).allowPlaintext).toMatch(/Tick this box/);
    expect(serverChoiceOf(plain, "alice@example.org").allowPlaintext).toBe(false);
    expect(validateServers({ ...plain, allowPlaintext: true }).allowPlaintext).toBeUndefined();
    expect(serverChoiceOf({ ...plain, allowPlaintext: true }, "alice@example.org").allowPlaintext).toBe(true);
    // A tick left over from an earlier choice means nothing once both servers encrypt.
    expect(serverChoiceOf({ ...servers(), allowPlaintext: true }, "alice@example.org").allowPlaintext).toBe(false);
  });

  it("signs in with the address when the username is left empty", () => {
    const choice = serverChoiceOf({ ...servers(), username: " ", imapPort: " 10993 " }, " alice@example.org ");
    expect(choice.username).toBe("alice@example.org");
    expect(choice.imap).toEqual({ host: "imap.example.org", port: 10993, security: "tls" });
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
    expect(fieldForServerError("folders")).toBe("folders");
    expect(fieldForServerError("pollIntervalSecs")).toBe("pollIntervalSecs");
    expect(fieldForServerError("something_else")).toBeNull();
    expect(fieldForServerError(null)).toBeNull();
  });
});

describe("sync options", () => {
  const now = new Date(2025, 2, 1, 12);

  it("starts with three months, all mail kept, contacts from both directions, every 5 minutes", () => {
    expect(defaultOptions()).toMatchObject({
      period: "3m",
      keepPolicy: "all",
      contactPolicy: "all",
      pollIntervalSecs: 300,
    });
  });

  it("sends a preset period by name and a chosen date as YYYY-MM-DD", () => {
    expect(sinceOf({ ...defaultOptions(), period: "1y" })).toBe("1y");
    expect(sinceOf({ ...defaultOptions(), period: "date", sinceDate: "2024-05-02" })).toBe("2024-05-02");
    expect(periodOf("all")).toEqual({ period: "all", sinceDate: "" });
    expect(periodOf("2024-05-02")).toEqual({ period: "date", sinceDate: "2024-05-02" });
    expect(periodOf("2024-05-02T00:00:00Z")).toEqual({ period: "date", sinceDate: "2024-05-02" });
  });

  it("wants a real date that is not in the future", () => {
    const sinceError = (sinceDate: string) =>
      validateOptions({ ...defaultOptions(), senderName: "Alice", period: "date", sinceDate }, { folderChoice: false, now })
        .since;
    expect(sinceError("2024-02-29")).toBeUndefined();
    expect(sinceError("2025-03-01")).toBeUndefined();
    expect(sinceError("")).toMatch(/Enter a date/);
    expect(sinceError("2023-02-29")).toMatch(/Enter a date/);
    expect(sinceError("2025-03-02")).toMatch(/not in the future/);
  });

  it("needs a name and, when there are folders to choose, at least one of them", () => {
    const errors = validateOptions({ ...defaultOptions(), folders: [] }, { folderChoice: true, now });
    expect(errors.senderName).toBeDefined();
    expect(errors.folders).toMatch(/at least one folder/);
    expect(validateOptions({ ...defaultOptions(), senderName: "A" }, { folderChoice: false, now })).toEqual({});
  });
});

describe("stored folders", () => {
  it("nest under the folder their name extends", () => {
    const folder = (rawName: string) => ({
      id: 1,
      rawName,
      displayName: rawName,
      role: null,
      selectable: true,
      selected: false,
      messageCount: 0,
      unreadCount: 0,
    });
    const depths = choicesFromAccount(
      ["INBOX", "INBOX.Clients", "INBOX.Clients.Acme", "[Gmail]", "[Gmail]/Sent Mail", "Projects/2025"].map(folder),
    ).map((f) => [f.rawName, f.depth]);
    expect(depths).toEqual([
      ["INBOX", 0],
      ["INBOX.Clients", 1],
      ["INBOX.Clients.Acme", 2],
      ["[Gmail]", 0],
      ["[Gmail]/Sent Mail", 1],
      ["Projects/2025", 0],
    ]);
  });
});
