import { fireEvent, render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it, vi } from "vitest";
import * as api from "../lib/api";
import type { AccountSummary, DiscoverySource, NewAccount } from "../lib/types";
import {
  accountSummary,
  connectionReport,
  deferred,
  discoveredSettings,
  failed,
  passed,
  untrusted,
  untrustedCertificate,
} from "../test/fixtures";
import ConnectWizardDialog from "./ConnectWizardDialog.svelte";
import { discoveryTimeoutMs } from "./connectWizard.svelte";

vi.mock("../lib/api", () => ({
  discoverSettings: vi.fn(),
  testConnection: vi.fn(),
  openExternal: vi.fn(),
  oauthProviders: vi.fn(),
  oauthSignIn: vi.fn(),
  cancelOAuthSignIn: vi.fn(),
  testConnectionSignedIn: vi.fn(),
}));

const discoverSettings = vi.mocked(api.discoverSettings);
const testConnection = vi.mocked(api.testConnection);
const openExternal = vi.mocked(api.openExternal);
const oauthProviders = vi.mocked(api.oauthProviders);
const oauthSignIn = vi.mocked(api.oauthSignIn);
const cancelOAuthSignIn = vi.mocked(api.cancelOAuthSignIn);
const testConnectionSignedIn = vi.mocked(api.testConnectionSignedIn);

type User = ReturnType<typeof userEvent.setup>;

function renderWizard() {
  const user = userEvent.setup();
  const onAdd = vi.fn<(account: NewAccount) => Promise<AccountSummary>>().mockResolvedValue(accountSummary());
  const onClose = vi.fn();
  render(ConnectWizardDialog, { onAdd, onClose });
  return { user, onAdd, onClose };
}

const step = () => screen.getByTestId("wizard-step").dataset.step;
const next = () => screen.getByTestId("wizard-next");

async function fillAddress(user: User, email = "alice@example.org") {
  await user.type(await screen.findByTestId("field-email"), email);
  await user.type(screen.getByTestId("field-name"), "Alice Example");
}

async function toSignIn(user: User) {
  await fillAddress(user);
  await user.click(next());
  await vi.waitFor(() => expect(step()).toBe("signin"));
}

async function toServers(user: User) {
  await toSignIn(user);
  await user.type(screen.getByTestId("field-password"), "hunter2{Enter}");
  await vi.waitFor(() => expect(step()).toBe("servers"));
}

async function checksGreen() {
  await vi.waitFor(() => {
    expect(screen.getByTestId("check-imap")).toHaveAttribute("data-status", "ok");
    expect(screen.getByTestId("check-smtp")).toHaveAttribute("data-status", "ok");
  });
}

async function toOptions(user: User) {
  await toServers(user);
  await checksGreen();
  await user.click(next());
  await vi.waitFor(() => expect(step()).toBe("options"));
}

beforeEach(() => {
  vi.resetAllMocks();
  discoverSettings.mockResolvedValue(discoveredSettings());
  testConnection.mockResolvedValue(connectionReport());
  openExternal.mockResolvedValue(undefined);
  oauthProviders.mockResolvedValue([]);
  cancelOAuthSignIn.mockResolvedValue(undefined);
  testConnectionSignedIn.mockResolvedValue(connectionReport());
});

describe("the address step", () => {
  it("starts on the address with the focus in it and the first step marked current", async () => {
    renderWizard();
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveAccessibleName("Add a mailbox");
    await vi.waitFor(() => expect(screen.getByTestId("field-email")).toHaveFocus());
    const current = within(screen.getByTestId("wizard-steps")).getAllByRole("listitem")[0];
    expect(current).toHaveAttribute("aria-current", "step");
    expect(screen.queryByTestId("wizard-back")).not.toBeInTheDocument();
  });

  it("checks the address and the name before looking anything up", async () => {
    const { user } = renderWizard();
    await user.type(await screen.findByTestId("field-email"), "alice.example.org{Enter}");

    expect(screen.getByTestId("error-email")).toHaveTextContent("doesn't look like an email address");
    expect(screen.getByTestId("error-senderName")).toHaveTextContent("Enter the name people see");
    expect(screen.getByTestId("field-email")).toHaveFocus();
    expect(discoverSettings).not.toHaveBeenCalled();
  });

  it("says it is looking up the provider while discovery runs, then moves on to sign-in", async () => {
    const lookup = deferred<ReturnType<typeof discoveredSettings>>();
    discoverSettings.mockReturnValue(lookup.promise);
    const { user } = renderWizard();
    await fillAddress(user);
    await user.keyboard("{Enter}");

    expect(screen.getByTestId("discovery-status")).toHaveTextContent("Looking up your provider…");
    expect(next()).toBeDisabled();
    expect(discoverSettings).toHaveBeenCalledWith("alice@example.org");

    lookup.resolve(discoveredSettings({ provider: "Example Mail" }));
    await vi.waitFor(() => expect(step()).toBe("signin"));
    expect(screen.getByRole("heading", { level: 3 })).toHaveTextContent("Sign in to Example Mail");
    expect(screen.getByTestId("field-password")).toHaveFocus();
  });

  it("shows discovery's refusal of the address on the address field", async () => {
    discoverSettings.mockRejectedValue({ code: "invalid_input", message: "This domain cannot receive mail.", field: "email" });
    const { user } = renderWizard();
    await fillAddress(user);
    await user.click(next());

    expect(await screen.findByTestId("error-email")).toHaveTextContent("This domain cannot receive mail.");
    expect(step()).toBe("address");
  });

  it("goes on with a guess when discovery does not answer in time", async () => {
    discoverSettings.mockReturnValue(new Promise(() => {}));
    const { user } = renderWizard();
    await fillAddress(user);
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      await fireEvent.click(next());
      await vi.advanceTimersByTimeAsync(discoveryTimeoutMs);
    } finally {
      vi.useRealTimers();
    }

    await vi.waitFor(() => expect(step()).toBe("signin"));
    await user.type(screen.getByTestId("field-password"), "hunter2{Enter}");
    await vi.waitFor(() => expect(step()).toBe("servers"));
    expect(screen.getByTestId("discovery-source")).toHaveAttribute("data-source", "guess");
  });

  it("goes on with a guess when discovery fails for another reason", async () => {
    discoverSettings.mockRejectedValue({ code: "internal", message: "resolver crashed", field: null });
    const { user } = renderWizard();
    await toServers(user);

    expect(screen.getByTestId("discovery-source")).toHaveAttribute("data-source", "guess");
    expect(testConnection).toHaveBeenCalledWith(
      expect.objectContaining({ imap: { host: "imap.example.org", port: 993, security: "tls" } }),
    );
  });
});

describe("closing", () => {
  it("closes at once with Esc when nothing was typed", async () => {
    const { user, onClose } = renderWizard();
    await screen.findByRole("dialog");
    await user.keyboard("{Escape}");
    expect(onClose).toHaveBeenCalled();
  });

  it("asks before throwing away what was typed", async () => {
    const { user, onClose } = renderWizard();
    await user.type(await screen.findByTestId("field-email"), "alice@");
    await user.keyboard("{Escape}");

    const confirm = await screen.findByRole("alertdialog");
    expect(confirm).toHaveTextContent("Stop adding this mailbox?");
    expect(onClose).not.toHaveBeenCalled();

    await user.click(within(confirm).getByTestId("confirm-discard"));
    expect(onClose).toHaveBeenCalled();
  });
});

describe("the sign-in step", () => {
  it("needs a password, hidden until asked", async () => {
    const { user } = renderWizard();
    await toSignIn(user);
    await user.click(next());

    expect(screen.getByTestId("error-password")).toHaveTextContent("Enter the password");
    expect(step()).toBe("signin");

    const password = screen.getByTestId("field-password");
    await user.type(password, "hunter2");
    expect(password).toHaveAttribute("type", "password");
    await user.click(screen.getByTestId("toggle-password"));
    expect(password).toHaveAttribute("type", "text");
  });

  it("shows the provider's help with links that open in the browser, and no OAuth button without a client id", async () => {
    discoverSettings.mockResolvedValue(
      discoveredSettings({
        provider: "Gmail",
        source: "preset",
        oauth: "google",
        help: {
          text: "Gmail needs an app password for Rapport when two-step verification is on.",
          appPasswordUrl: "https://myaccount.google.com/apppasswords",
          enableImapUrl: "https://support.google.com/mail/answer/7126229",
        },
      }),
    );
    const { user } = renderWizard();
    await toSignIn(user);

    expect(screen.getByTestId("provider-help")).toHaveTextContent("Gmail needs an app password");
    await user.click(screen.getByTestId("help-app-passwords"));
    expect(openExternal).toHaveBeenCalledWith("https://myaccount.google.com/apppasswords");
    await user.click(screen.getByTestId("help-enable-imap"));
    expect(openExternal).toHaveBeenCalledWith("https://support.google.com/mail/answer/7126229");
    expect(screen.queryByRole("button", { name: /google/i })).not.toBeInTheDocument();
  });

  it("goes back to the address with what was typed kept", async () => {
    const { user } = renderWizard();
    await toSignIn(user);
    await user.click(screen.getByTestId("wizard-back"));

    expect(step()).toBe("address");
    expect(screen.getByTestId("field-email")).toHaveValue("alice@example.org");
    expect(screen.getByTestId("field-email")).toHaveFocus();
    await user.click(next());
    await vi.waitFor(() => expect(step()).toBe("signin"));
    // Same address, same servers: no second lookup.
    expect(discoverSettings).toHaveBeenCalledTimes(1);
  });
});

describe("the servers step", () => {
  it.each<[DiscoverySource, string]>([
    ["preset", "From Rapport's list of providers"],
    ["autoconfig", "From your provider's autoconfiguration"],
    ["mx", "From your domain's mail records (MX)"],
    ["srv", "From DNS service records"],
    ["probe", "Found by trying common server names"],
    ["guess", "A guess: please check"],
  ])("says where %s settings came from", async (source, words) => {
    discoverSettings.mockResolvedValue(
      discoveredSettings({ source, imap: { host: "mail.example.org", port: 143, security: "starttls" } }),
    );
    const { user } = renderWizard();
    await toServers(user);

    expect(screen.getByTestId("discovery-source")).toHaveTextContent(words);
    expect(screen.getByText("mail.example.org")).toBeInTheDocument();
    expect(screen.getByText("143 · STARTTLS")).toBeInTheDocument();
  });

  it("tests on arrival and enables Next once both checks pass", async () => {
    const run = deferred<ReturnType<typeof connectionReport>>();
    testConnection.mockReturnValue(run.promise);
    const { user } = renderWizard();
    await toServers(user);

    expect(testConnection).toHaveBeenCalledWith({
      email: "alice@example.org",
      username: "alice@example.org",
      password: "hunter2",
      imap: { host: "imap.example.org", port: 993, security: "tls" },
      smtp: { host: "smtp.example.org", port: 465, security: "tls" },
      pinnedSha256: null,
      allowPlaintext: false,
    });
    expect(screen.getByTestId("check-imap")).toHaveAttribute("data-status", "running");
    expect(next()).toBeDisabled();

    run.resolve(connectionReport());
    await checksGreen();
    expect(next()).toBeEnabled();
  });

  it("shows a failed check's message verbatim and opens the field it names", async () => {
    testConnection.mockResolvedValue(
      connectionReport({
        imap: failed("host_not_found", "The server imap.example.org could not be found. Check its name.", "imapHost"),
        folders: [],
      }),
    );
    const { user } = renderWizard();
    await toServers(user);

    expect(await screen.findByTestId("check-imap-error")).toHaveTextContent(
      "The server imap.example.org could not be found. Check its name.",
    );
    expect(screen.getByTestId("check-smtp")).toHaveAttribute("data-status", "ok");
    expect(screen.getByTestId("edit-servers")).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByTestId("field-imap-host")).toHaveAttribute("aria-invalid", "true");
    expect(next()).toBeDisabled();

    // Editing the settings makes the old result stale until the next test.
    testConnection.mockResolvedValue(connectionReport());
    await user.clear(screen.getByTestId("field-imap-host"));
    await user.type(screen.getByTestId("field-imap-host"), "mail.example.org");
    expect(screen.getByTestId("check-imap")).toHaveAttribute("data-status", "idle");
    expect(screen.getByTestId("field-imap-host")).toHaveAttribute("aria-invalid", "false");
    await user.click(screen.getByTestId("test-connection"));
    await checksGreen();
    expect(testConnection).toHaveBeenLastCalledWith(
      expect.objectContaining({ imap: { host: "mail.example.org", port: 993, security: "tls" } }),
    );
  });

  it("takes a wrong password back to sign-in with the server's words", async () => {
    const message = "The server did not accept this password. If you use two-step verification, create an app password.";
    testConnection.mockResolvedValue(
      connectionReport({ imap: failed("auth_failed", message, "password"), smtp: failed("auth_failed", message, "password"), folders: [] }),
    );
    const { user } = renderWizard();
    await toServers(user);

    expect(await screen.findByTestId("check-imap-error")).toHaveTextContent("app password");
    await user.click(screen.getByTestId("fix-password"));

    expect(step()).toBe("signin");
    expect(screen.getByTestId("error-password")).toHaveTextContent(message);
    expect(screen.getByTestId("field-password")).toHaveFocus();
  });

  it("shows an untrusted certificate and, once trusted, tests again with its fingerprint pinned", async () => {
    testConnection
      .mockResolvedValueOnce(connectionReport({ imap: untrusted(), smtp: untrusted(), folders: [] }))
      .mockResolvedValueOnce(connectionReport());
    const { user, onAdd } = renderWizard();
    await toServers(user);

    const card = await screen.findByTestId("certificate-card");
    expect(card).toHaveTextContent("CN=localhost");
    expect(card).toHaveTextContent("CN=Rapport Test CA");
    expect(card).toHaveTextContent("Jun 30, 2035");
    expect(card).toHaveTextContent("Trust it only if");
    expect(within(card).getByTestId("certificate-fingerprint").textContent).toMatch(/^3A7F19C2B04E/);
    expect(within(card).getByTestId("certificate-fingerprint").children).toHaveLength(16);
    expect(screen.getByTestId("check-imap")).toHaveAttribute("data-status", "failed");
    expect(next()).toBeDisabled();

    await user.click(within(card).getByTestId("trust-certificate"));

    await checksGreen();
    expect(testConnection).toHaveBeenCalledTimes(2);
    expect(testConnection).toHaveBeenLastCalledWith(
      expect.objectContaining({ pinnedSha256: untrustedCertificate.sha256 }),
    );
    expect(screen.queryByTestId("certificate-card")).not.toBeInTheDocument();
    expect(screen.getByTestId("pinned-certificate")).toHaveTextContent("3A7F 19C2 B04E 5D6F");

    await user.click(next());
    await vi.waitFor(() => expect(step()).toBe("options"));
    await user.click(next());
    expect(onAdd).toHaveBeenCalledWith(expect.objectContaining({ pinnedSha256: untrustedCertificate.sha256 }));
  });

  it("allows an unencrypted server only after the user ticks that they understand", async () => {
    const { user } = renderWizard();
    await toServers(user);
    await checksGreen();
    await user.click(screen.getByTestId("edit-servers"));

    const security = screen.getByTestId("field-imap-security");
    expect(within(security).getByRole("option", { name: "None (password sent unencrypted)" })).toBeInTheDocument();
    await user.selectOptions(security, "none");
    expect(screen.getByTestId("field-imap-port")).toHaveValue("143");
    expect(next()).toBeDisabled();

    await user.click(screen.getByTestId("test-connection"));
    expect(screen.getByTestId("error-allowPlaintext")).toHaveTextContent("Tick this box");
    expect(testConnection).toHaveBeenCalledTimes(1);

    await user.click(screen.getByTestId("field-allow-plaintext"));
    expect(screen.queryByTestId("error-allowPlaintext")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("test-connection"));
    expect(testConnection).toHaveBeenLastCalledWith(
      expect.objectContaining({ imap: { host: "imap.example.org", port: 143, security: "none" }, allowPlaintext: true }),
    );
  });

  it("runs the test on Enter in a server field while Next is still disabled", async () => {
    testConnection.mockResolvedValueOnce(connectionReport({ imap: failed("timeout", "No answer.", null), folders: [] }));
    const { user } = renderWizard();
    await toServers(user);
    await screen.findByTestId("check-imap-error");
    await user.click(screen.getByTestId("edit-servers"));
    await user.clear(screen.getByTestId("field-imap-port"));
    await user.type(screen.getByTestId("field-imap-port"), "10993{Enter}");

    await checksGreen();
    expect(testConnection).toHaveBeenLastCalledWith(
      expect.objectContaining({ imap: { host: "imap.example.org", port: 10993, security: "tls" } }),
    );
  });
});

describe("the options step", () => {
  it("preselects the folders the server suggests and shows containers as headings", async () => {
    const { user } = renderWizard();
    await toOptions(user);

    const rows = screen.getAllByTestId("folder");
    const checked = (rawName: string) =>
      within(rows.find((row) => row.dataset.rawName === rawName)!).queryByRole("checkbox");
    expect(checked("INBOX")).toBeChecked();
    expect(checked("[Gmail]/Sent Mail")).toBeChecked();
    expect(checked("[Gmail]/Spam")).not.toBeChecked();
    expect(checked("[Gmail]/Trash")).not.toBeChecked();
    expect(checked("Clients &AMQ-")).not.toBeChecked();
    expect(checked("[Gmail]")).toBeNull();
    expect(screen.getByText("Clients Š")).toBeInTheDocument();
    expect(rows[0]).toHaveTextContent("1,204 messages");
    expect(screen.getByTestId("field-mailbox-name")).toHaveValue("alice@example.org");
    expect(screen.getByTestId("field-name")).toHaveFocus();
  });

  it("adds the mailbox with exactly what the options say", async () => {
    const { user, onAdd, onClose } = renderWizard();
    await toOptions(user);

    await user.click(screen.getByTestId("since-date"));
    await user.type(screen.getByTestId("field-since-date"), "2024-05-02");
    const sent = screen.getAllByTestId("folder").find((row) => row.dataset.rawName === "[Gmail]/Sent Mail")!;
    await user.click(within(sent).getByRole("checkbox"));
    const clients = screen.getAllByTestId("folder").find((row) => row.dataset.rawName === "Clients &AMQ-")!;
    await user.click(within(clients).getByRole("checkbox"));
    await user.click(screen.getByTestId("keep-received"));
    await user.click(screen.getByTestId("contacts-sent"));
    await user.selectOptions(screen.getByTestId("field-poll-interval"), "900");
    await user.clear(screen.getByTestId("field-mailbox-name"));
    await user.type(screen.getByTestId("field-mailbox-name"), "Work");
    await user.click(next());

    expect(onAdd).toHaveBeenCalledWith({
      email: "alice@example.org",
      senderName: "Alice Example",
      mailboxName: "Work",
      username: "alice@example.org",
      password: "hunter2",
      imap: { host: "imap.example.org", port: 993, security: "tls" },
      smtp: { host: "smtp.example.org", port: 465, security: "tls" },
      since: "2024-05-02",
      folders: ["INBOX", "Clients &AMQ-"],
      keepPolicy: "received",
      contactPolicy: "sent",
      newSendersAreLeads: false,
      pollIntervalSecs: 900,
      pinnedSha256: null,
      allowPlaintext: false,
    });
    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it("keeps the defaults: all mail, contacts from both directions, every 5 minutes", async () => {
    const { user, onAdd } = renderWizard();
    await toOptions(user);
    await user.click(screen.getByTestId("since-all"));
    await user.click(next());

    expect(onAdd).toHaveBeenCalledWith(
      expect.objectContaining({
        since: "all",
        folders: ["INBOX", "[Gmail]/Sent Mail"],
        keepPolicy: "all",
        contactPolicy: "all",
        newSendersAreLeads: false,
        pollIntervalSecs: 300,
        mailboxName: "alice@example.org",
      }),
    );
  });

  it("can make new senders leads, which only applies to contacts from both directions", async () => {
    const { user, onAdd } = renderWizard();
    await toOptions(user);
    await user.click(screen.getByTestId("since-all"));
    const leads = within(screen.getByTestId("new-senders-are-leads")).getByRole("checkbox");
    await user.click(leads);
    // Checked before any Next: once added, the wizard leaves this step behind.
    await user.click(screen.getByTestId("contacts-sent"));
    expect((leads as HTMLInputElement).disabled).toBe(true);
    await user.click(screen.getByTestId("contacts-all"));
    expect((leads as HTMLInputElement).disabled).toBe(false);

    await user.click(next());
    expect(onAdd).toHaveBeenCalledWith(expect.objectContaining({ contactPolicy: "all", newSendersAreLeads: true }));
  });

  it("wants at least one folder and a date when the date chip is chosen", async () => {
    const { user, onAdd } = renderWizard();
    await toOptions(user);
    for (const row of screen.getAllByTestId("folder")) {
      const box = within(row).queryByRole("checkbox");
      if (box && (box as HTMLInputElement).checked) await user.click(box);
    }
    await user.click(screen.getByTestId("since-date"));
    await user.click(next());

    expect(screen.getByTestId("error-since")).toHaveTextContent("Enter a date");
    expect(screen.getByTestId("error-folders")).toHaveTextContent("at least one folder");
    expect(onAdd).not.toHaveBeenCalled();
  });

  it("sends an add failure that names the password back to sign-in", async () => {
    const { user, onAdd, onClose } = renderWizard();
    onAdd.mockRejectedValue({ code: "auth_failed", message: "The password was refused.", field: "password" });
    await toOptions(user);
    await user.click(next());

    await vi.waitFor(() => expect(step()).toBe("signin"));
    expect(screen.getByTestId("error-password")).toHaveTextContent("The password was refused.");
    expect(onClose).not.toHaveBeenCalled();
  });

  it("shows an add failure without a field at the top of the step", async () => {
    const { user, onAdd } = renderWizard();
    onAdd.mockRejectedValue({ code: "internal", message: "Disk full", field: null });
    await toOptions(user);
    await user.click(next());

    expect(await screen.findByTestId("wizard-error")).toHaveTextContent("Disk full");
    expect(step()).toBe("options");
  });

  it("goes back to the servers without testing again", async () => {
    const { user } = renderWizard();
    await toOptions(user);
    await user.click(screen.getByTestId("wizard-back"));

    expect(step()).toBe("servers");
    expect(screen.getByTestId("check-imap")).toHaveAttribute("data-status", "ok");
    expect(testConnection).toHaveBeenCalledTimes(1);
    expect(passed.ok).toBe(true);
  });
});

describe("signing in with Google or Microsoft", () => {
  const gmail = () =>
    discoveredSettings({ provider: "Gmail", source: "preset", oauth: "google", username: "alice@gmail.com" });

  async function toSignInAt(user: User, email: string) {
    await fillAddress(user, email);
    await user.click(next());
    await vi.waitFor(() => expect(step()).toBe("signin"));
  }

  it("offers the provider's sign-in when this build has a client id, and adds the mailbox with the grant", async () => {
    discoverSettings.mockResolvedValue(gmail());
    oauthProviders.mockResolvedValue(["google", "microsoft"]);
    oauthSignIn.mockResolvedValue("grant-1");
    const { user, onAdd } = renderWizard();
    await toSignInAt(user, "alice@gmail.com");

    await user.click(await screen.findByRole("button", { name: "Sign in with Google" }));

    await vi.waitFor(() => expect(step()).toBe("servers"));
    expect(oauthSignIn).toHaveBeenCalledWith(
      "google",
      "alice@gmail.com",
      expect.objectContaining({ successTitle: "You are signed in" }),
    );
    await checksGreen();
    expect(testConnectionSignedIn).toHaveBeenCalledWith(expect.objectContaining({ password: "" }), "grant-1");
    expect(testConnection).not.toHaveBeenCalled();

    await user.click(next());
    await vi.waitFor(() => expect(step()).toBe("options"));
    await user.click(next());
    await vi.waitFor(() => expect(onAdd).toHaveBeenCalledTimes(1));
    expect(onAdd).toHaveBeenCalledWith(expect.objectContaining({ email: "alice@gmail.com", password: "" }), "grant-1");
  });

  it("offers Microsoft for a custom domain whose MX points to Microsoft 365", async () => {
    discoverSettings.mockResolvedValue(
      discoveredSettings({ provider: "Microsoft 365", source: "mx", oauth: "microsoft" }),
    );
    oauthProviders.mockResolvedValue(["microsoft"]);
    const { user } = renderWizard();
    await toSignIn(user);

    expect(await screen.findByRole("button", { name: "Sign in with Microsoft" })).toBeInTheDocument();
    expect(screen.getByTestId("field-password")).toBeInTheDocument();
  });

  it("shows the sign-in as done with a way back to a password", async () => {
    discoverSettings.mockResolvedValue(gmail());
    oauthProviders.mockResolvedValue(["google"]);
    oauthSignIn.mockResolvedValue("grant-2");
    const { user } = renderWizard();
    await toSignInAt(user, "alice@gmail.com");
    await user.click(await screen.findByTestId("oauth-sign-in"));
    await vi.waitFor(() => expect(step()).toBe("servers"));

    await user.click(screen.getByTestId("wizard-back"));
    expect(screen.getByTestId("oauth-signed-in")).toHaveTextContent("Signed in with Google.");
    expect(screen.queryByTestId("field-password")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("oauth-use-password"));
    expect(screen.getByTestId("field-password")).toBeInTheDocument();
  });

  it("lets the user cancel the wait for the browser, quietly", async () => {
    discoverSettings.mockResolvedValue(gmail());
    oauthProviders.mockResolvedValue(["google"]);
    const pending = deferred<string>();
    oauthSignIn.mockReturnValue(pending.promise);
    const { user } = renderWizard();
    await toSignInAt(user, "alice@gmail.com");
    await user.click(await screen.findByTestId("oauth-sign-in"));

    expect(await screen.findByTestId("oauth-waiting")).toHaveTextContent("Finish signing in in your browser");
    await user.click(screen.getByTestId("oauth-cancel"));
    expect(cancelOAuthSignIn).toHaveBeenCalled();
    pending.reject({ code: "oauth_cancelled", message: "The sign-in was cancelled.", field: null });

    expect(await screen.findByTestId("oauth-sign-in")).toBeInTheDocument();
    expect(step()).toBe("signin");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("says why a sign-in failed", async () => {
    discoverSettings.mockResolvedValue(gmail());
    oauthProviders.mockResolvedValue(["google"]);
    oauthSignIn.mockRejectedValue({
      code: "oauth_denied",
      message: "Access was not granted in the browser, so Rapport cannot read this mailbox.",
      field: null,
    });
    const { user } = renderWizard();
    await toSignInAt(user, "alice@gmail.com");
    await user.click(await screen.findByTestId("oauth-sign-in"));

    expect(await screen.findByText(/Access was not granted in the browser/)).toBeInTheDocument();
    expect(step()).toBe("signin");
  });
});
