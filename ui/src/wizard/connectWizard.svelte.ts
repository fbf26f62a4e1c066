// The connect wizard's state and rules: which step shows, what was discovered, the
// latest connection test, the trusted certificate, and the account it adds at the end.
// The step components only render this and forward what the user does.
import * as api from "../lib/api";
import { toCommandError } from "../lib/errors";
import type {
  AccountSummary,
  BrowserPages,
  OAuthProviderId,
  CertificateInfo,
  CheckResult,
  CommandError,
  ConnectionReport,
  ConnectionRequest,
  DiscoveredSettings,
  NewAccount,
} from "../lib/types";
import {
  defaultOptions,
  emailError,
  fieldForServerError,
  firstInvalidField,
  guessedServers,
  passwordError,
  serverChoiceOf,
  serverFields,
  sinceOf,
  validateOptions,
  validateServers,
  type AccountField,
  type FieldErrors,
  type OptionsDraft,
  type ServerDraft,
} from "../accounts/accountDraft";
import { FormErrors } from "../accounts/formErrors.svelte";
import { choicesFromReport, defaultSelection, type FolderChoice } from "../accounts/folders";

export type StepId = "address" | "signin" | "servers" | "options";
export const steps: readonly StepId[] = ["address", "signin", "servers", "options"];

/** How long the wizard waits for discovery before it goes on with a guess. */
export const discoveryTimeoutMs = 8_000;

export type CheckStatus = "idle" | "running" | "ok" | "failed";
export interface CheckView {
  status: CheckStatus;
  error: CommandError | null;
}

/** What the wizard asks of the screen around it. */
export interface WizardHost {
  /** Moves the focus to a field of the current step, or to its first field (null). */
  focus: (field: AccountField | null) => void;
}

const stepFields: Record<StepId, readonly AccountField[]> = {
  address: ["email", "senderName"],
  signin: ["password"],
  servers: [...serverFields],
  options: ["senderName", "mailboxName", "since", "folders", "pollIntervalSecs"],
};

function pick(errors: FieldErrors, fields: readonly AccountField[]): FieldErrors {
  const picked: FieldErrors = {};
  for (const field of fields) if (errors[field] !== undefined) picked[field] = errors[field];
  return picked;
}

function optional(value: string): string | null {
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

/** The promise's value, or null once `ms` have passed without one. */
async function withinTime<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Saves the new account: with a password, or with the grant of a browser sign-in. */
export type AddAccount = (account: NewAccount, grant?: string) => Promise<AccountSummary>;

export class ConnectWizard {
  step = $state<StepId>("address");
  email = $state("");
  password = $state("");
  servers = $state<ServerDraft>(guessedServers(""));
  /** Sender and mailbox name, period, folders, policies; the name is asked on step 1 too. */
  options = $state(defaultOptions());
  discovery = $state<DiscoveredSettings | null>(null);
  discovering = $state(false);
  /** "Edit servers" is open. */
  advancedOpen = $state(false);
  /** The certificate the user chose to trust; sent with the test and with the account. */
  pinnedSha256 = $state<string | null>(null);
  report = $state<ConnectionReport | null>(null);
  adding = $state(false);
  /** A problem that belongs to no field, shown at the top of the step. */
  stepError = $state<string | null>(null);
  /** A finished "Sign in with Google/Microsoft": its grant id replaces the password. */
  oauthGrant = $state<string | null>(null);
  oauthProvider = $state<OAuthProviderId | null>(null);
  /** The provider whose browser sign-in is under way. */
  signingIn = $state<OAuthProviderId | null>(null);
  /** Providers this build has a client id for. */
  availableProviders = $state<OAuthProviderId[]>([]);
  readonly errors = new FormErrors(() => this.clientErrors);
  private reportKey = $state<string | null>(null);
  private runningKey = $state<string | null>(null);
  private testRun = 0;
  private discoveredFor: string | null = null;
  private mailboxNameEdited = false;

  constructor(private readonly host: WizardHost) {}

  readonly request: ConnectionRequest = $derived.by(() => {
    const choice = serverChoiceOf(this.servers, this.email);
    return {
      email: this.email.trim(),
      username: choice.username,
      password: this.oauthGrant ? "" : this.password,
      imap: choice.imap,
      smtp: choice.smtp,
      pinnedSha256: this.pinnedSha256,
      allowPlaintext: choice.allowPlaintext,
    };
  });

  private readonly requestKey = $derived(JSON.stringify([this.request, this.oauthGrant]));

  /** The sign-in to offer for this address (its provider, or a domain whose MX is theirs). */
  readonly offeredProvider: OAuthProviderId | null = $derived.by(() => {
    const provider = this.discovery?.oauth ?? null;
    return provider && this.availableProviders.includes(provider) ? provider : null;
  });

  readonly folderChoices: FolderChoice[] = $derived(choicesFromReport(this.report?.folders ?? []));

  readonly clientErrors: FieldErrors = $derived({
    email: emailError(this.email),
    password: this.oauthGrant ? undefined : passwordError(this.password),
    ...validateServers(this.servers),
    ...validateOptions(this.options, { folderChoice: this.folderChoices.some((f) => f.selectable) }),
  });

  /** The report of a test run with exactly the settings now on screen, if any. */
  readonly currentReport: ConnectionReport | null = $derived(
    this.reportKey !== null && this.reportKey === this.requestKey ? this.report : null,
  );

  readonly testing = $derived(this.runningKey !== null && this.runningKey === this.requestKey);

  readonly checksPassed = $derived(
    this.currentReport !== null && this.currentReport.imap.ok && this.currentReport.smtp.ok,
  );

  readonly checks: { imap: CheckView; smtp: CheckView } = $derived({
    imap: this.checkView(this.currentReport?.imap),
    smtp: this.checkView(this.currentReport?.smtp),
  });

  /** The untrusted certificate to show, IMAP's first: one pin covers one certificate. */
  readonly certificate: CertificateInfo | null = $derived.by(() => {
    const report = this.currentReport;
    if (!report) return null;
    const untrusted = [report.imap, report.smtp].find(
      (check) => !check.ok && check.certificate && check.error?.code === "certificate_not_trusted",
    );
    return untrusted?.certificate ?? null;
  });

  /** Whether closing would lose something the user typed. */
  get hasInput(): boolean {
    return this.email.trim() !== "" || this.options.senderName.trim() !== "" || this.password !== "";
  }

  get stepIndex(): number {
    return steps.indexOf(this.step);
  }

  /**
   * Signs in with the provider in the browser; on success the password is no longer
   * needed and the servers are tested with the sign-in. Cancelling is quiet.
   */
  async signInWith(provider: OAuthProviderId, pages: BrowserPages): Promise<void> {
    if (this.signingIn || this.busy) return;
    this.stepError = null;
    this.signingIn = provider;
    try {
      const grant = await api.oauthSignIn(provider, this.email.trim(), pages);
      this.oauthGrant = grant;
      this.oauthProvider = provider;
      this.password = "";
      this.errors.clear(["password"]);
      this.moveTo("servers");
      void this.test();
    } catch (reason) {
      const error = toCommandError(reason);
      if (error.code !== "oauth_cancelled") this.stepError = error.message;
    } finally {
      this.signingIn = null;
    }
  }

  cancelSignIn(): void {
    void api.cancelOAuthSignIn().catch(() => undefined);
  }

  /** Drops the sign-in and asks for a password again. */
  usePassword(): void {
    this.oauthGrant = null;
    this.oauthProvider = null;
    this.host.focus("password");
  }

  /** Busy with something that cannot be left half done. */
  get busy(): boolean {
    return this.discovering || this.adding || this.signingIn !== null;
  }

  errorFor(field: AccountField): string | null {
    return this.errors.errorFor(field);
  }

  edited(field: AccountField): void {
    this.errors.edited(field);
    this.stepError = null;
    if (field === "mailboxName") this.mailboxNameEdited = true;
  }

  changeServers(patch: Partial<ServerDraft>, field: AccountField): void {
    Object.assign(this.servers, patch);
    this.edited(field);
  }

  changeOptions(patch: Partial<OptionsDraft>, field: AccountField | null): void {
    Object.assign(this.options, patch);
    if (field) this.edited(field);
  }

  blurred(field: AccountField): void {
    this.errors.blurred(field);
  }

  /** The primary action of the step: Next, or on the last step "Add mailbox". */
  async next(onAdd: AddAccount): Promise<AccountSummary | null> {
    if (this.busy) return null;
    this.stepError = null;
    switch (this.step) {
      case "address":
        if (!this.stepValid("address")) return null;
        if (this.discoveredFor !== this.email.trim().toLowerCase() && !(await this.discover())) return null;
        this.moveTo("signin");
        return null;
      case "signin":
        if (!this.stepValid("signin")) return null;
        this.moveTo("servers");
        if (!this.currentReport && !this.testing) void this.test();
        return null;
      case "servers":
        if (!this.checksPassed) {
          if (!this.testing) void this.test();
          return null;
        }
        if (!this.mailboxNameEdited && this.options.mailboxName.trim() === "") {
          this.options.mailboxName = this.email.trim();
        }
        this.moveTo("options");
        return null;
      case "options":
        if (!this.stepValid("options")) return null;
        return this.add(onAdd);
    }
  }

  back(): void {
    if (this.busy || this.stepIndex === 0) return;
    this.moveTo(steps[this.stepIndex - 1]!);
  }

  /** Jumps back to an earlier step (the step indicator's links). */
  goTo(step: StepId, field: AccountField | null = null): void {
    if (this.busy || steps.indexOf(step) > this.stepIndex) return;
    this.moveTo(step, field);
  }

  toggleAdvanced(): void {
    this.advancedOpen = !this.advancedOpen;
  }

  /** Tests IMAP and SMTP with the settings on screen; a newer test wins over an older one. */
  async test(): Promise<void> {
    const invalid = pick(this.clientErrors, stepFields.servers);
    if (Object.keys(invalid).length > 0) {
      this.advancedOpen = true;
      this.errors.reveal(invalid);
      this.host.focus(firstInvalidField(invalid));
      return;
    }
    const request = this.request;
    const key = this.requestKey;
    const run = ++this.testRun;
    this.runningKey = key;
    this.errors.clear([...serverFields, "password"]);
    try {
      const grant = this.oauthGrant;
      const report = grant ? await api.testConnectionSignedIn(request, grant) : await api.testConnection(request);
      if (run !== this.testRun) return;
      this.applyReport(report, key);
    } catch (reason) {
      if (run !== this.testRun) return;
      this.report = null;
      this.reportKey = null;
      this.showError(toCommandError(reason));
    } finally {
      if (run === this.testRun) this.runningKey = null;
    }
  }

  /** Trusts the certificate the server showed, for this account only, and tests again. */
  async trust(certificate: CertificateInfo): Promise<void> {
    this.pinnedSha256 = certificate.sha256;
    await this.test();
  }

  forgetPin(): void {
    this.pinnedSha256 = null;
  }

  /** The account the options describe, with exactly the settings that passed the test. */
  newAccount(): NewAccount {
    const request = this.request;
    return {
      email: request.email,
      senderName: this.options.senderName.trim(),
      mailboxName: optional(this.options.mailboxName),
      username: optional(this.servers.username),
      password: this.password,
      imap: request.imap,
      smtp: request.smtp,
      since: sinceOf(this.options),
      folders: this.folderChoices.length > 0 ? [...this.options.folders] : null,
      keepPolicy: this.options.keepPolicy,
      contactPolicy: this.options.contactPolicy,
      newSendersAreLeads: this.options.newSendersAreLeads,
      pollIntervalSecs: this.options.pollIntervalSecs,
      pinnedSha256: this.pinnedSha256,
      allowPlaintext: request.allowPlaintext,
    };
  }

  private async add(onAdd: AddAccount): Promise<AccountSummary | null> {
    this.adding = true;
    try {
      return this.oauthGrant ? await onAdd(this.newAccount(), this.oauthGrant) : await onAdd(this.newAccount());
    } catch (reason) {
      this.showError(toCommandError(reason));
      return null;
    } finally {
      this.adding = false;
    }
  }

  private async discover(): Promise<boolean> {
    const email = this.email.trim();
    this.discovering = true;
    let found: DiscoveredSettings | null;
    void this.loadProviders();
    try {
      found = await withinTime(api.discoverSettings(email), discoveryTimeoutMs);
    } catch (reason) {
      const error = toCommandError(reason);
      if (fieldForServerError(error.field) === "email") {
        this.showError(error);
        return false;
      }
      // Discovery is a convenience: without it the user still gets a guess to correct.
      found = null;
    } finally {
      this.discovering = false;
    }
    const guess = guessedServers(email);
    this.discovery = found ?? {
      provider: null,
      source: "guess",
      imap: { host: guess.imapHost, port: Number(guess.imapPort), security: guess.imapSecurity },
      smtp: { host: guess.smtpHost, port: Number(guess.smtpPort), security: guess.smtpSecurity },
      username: email,
      oauth: null,
      help: null,
    };
    this.servers = {
      imapHost: this.discovery.imap.host,
      imapPort: String(this.discovery.imap.port),
      imapSecurity: this.discovery.imap.security,
      smtpHost: this.discovery.smtp.host,
      smtpPort: String(this.discovery.smtp.port),
      smtpSecurity: this.discovery.smtp.security,
      username: this.discovery.username,
      allowPlaintext: false,
    };
    this.discoveredFor = email.toLowerCase();
    // A sign-in belongs to the address it was made for.
    this.oauthGrant = null;
    this.oauthProvider = null;
    this.pinnedSha256 = null;
    this.report = null;
    this.reportKey = null;
    this.options.folders = [];
    this.advancedOpen = false;
    return true;
  }

  private async loadProviders(): Promise<void> {
    try {
      this.availableProviders = await api.oauthProviders();
    } catch {
      // Without the list the wizard offers passwords only, which always work.
      this.availableProviders = [];
    }
  }

  private applyReport(report: ConnectionReport, key: string): void {
    const previousFolders = (this.report?.folders ?? []).map((f) => f.rawName).join("\n");
    this.report = report;
    this.reportKey = key;
    if (report.folders.map((f) => f.rawName).join("\n") !== previousFolders) {
      // Another server, another folder list: start again from its suggestions.
      this.options.folders = defaultSelection(report.folders);
    }
    for (const check of [report.imap, report.smtp]) {
      const field = check.ok ? null : fieldForServerError(check.error?.field ?? null);
      if (!field || !check.error || this.errors.server[field]) continue;
      this.errors.server[field] = check.error.message;
      if (serverFields.has(field)) this.advancedOpen = true;
    }
  }

  private checkView(check: CheckResult | undefined): CheckView {
    if (this.testing) return { status: "running", error: null };
    if (!check) return { status: "idle", error: null };
    return check.ok ? { status: "ok", error: null } : { status: "failed", error: check.error };
  }

  private stepValid(step: StepId): boolean {
    const invalid = pick(this.clientErrors, stepFields[step]);
    if (Object.keys(invalid).length === 0) return true;
    this.errors.reveal(invalid);
    this.host.focus(firstInvalidField(invalid));
    return false;
  }

  private moveTo(step: StepId, field: AccountField | null = null): void {
    this.step = step;
    this.host.focus(field);
  }

  /**
   * Shows a rejection next to the field it names, on whichever step holds that field;
   * without a field, at the top of the current step.
   */
  private showError(error: CommandError): void {
    const field = fieldForServerError(error.field);
    if (!field) {
      this.stepError = error.message;
      return;
    }
    this.errors.server[field] = error.message;
    if (serverFields.has(field)) this.advancedOpen = true;
    const owner = stepFields[this.step].includes(field)
      ? this.step
      : (steps.find((step) => stepFields[step].includes(field)) ?? this.step);
    this.moveTo(owner, field);
  }
}
