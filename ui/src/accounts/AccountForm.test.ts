import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { CommandFailure } from "../lib/errors";
import AccountForm from "./AccountForm.svelte";

function renderForm(onSubmit = vi.fn().mockResolvedValue(undefined)) {
  const user = userEvent.setup();
  render(AccountForm, { onSubmit, onCancel: vi.fn() });
  return { user, onSubmit };
}

async function fillValidForm(user: ReturnType<typeof userEvent.setup>) {
  await user.type(screen.getByTestId("field-email"), "alice@example.org");
  await user.type(screen.getByTestId("field-name"), "Alice Example");
  await user.type(screen.getByTestId("field-password"), "hunter2");
}

describe("AccountForm", () => {
  it("shows field messages for an invalid address and a missing password", async () => {
    const { user, onSubmit } = renderForm();
    await user.type(screen.getByTestId("field-email"), "alice.example.org");
    await user.type(screen.getByTestId("field-name"), "Alice");
    await user.click(screen.getByTestId("submit-account"));

    expect(screen.getByTestId("error-email")).toHaveTextContent("doesn't look like an email address");
    expect(screen.getByTestId("error-password")).toHaveTextContent("Enter the password");
    expect(screen.getByTestId("field-email")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("field-email")).toHaveFocus();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it("prefills the server names from the address as it is typed", async () => {
    const { user } = renderForm();
    await user.type(screen.getByTestId("field-email"), "alice@example.org");

    expect(screen.getByTestId("field-imap-host")).toHaveValue("imap.example.org");
    expect(screen.getByTestId("field-imap-port")).toHaveValue("993");
    expect(screen.getByTestId("field-imap-security")).toHaveValue("tls");
    expect(screen.getByTestId("field-smtp-host")).toHaveValue("smtp.example.org");
    expect(screen.getByTestId("field-smtp-port")).toHaveValue("465");
    expect(screen.getByTestId("field-smtp-security")).toHaveValue("tls");
  });

  it("stops following the address once a server name is typed by hand", async () => {
    const { user } = renderForm();
    await user.type(screen.getByTestId("field-imap-host"), "mail.corp.test");
    await user.type(screen.getByTestId("field-email"), "bob@example.net");

    expect(screen.getByTestId("field-imap-host")).toHaveValue("mail.corp.test");
    expect(screen.getByTestId("field-smtp-host")).toHaveValue("smtp.example.net");
  });

  it("moves the port with the security setting and warns about no encryption", async () => {
    const { user } = renderForm();
    expect(screen.queryByRole("note")).not.toBeInTheDocument();

    await user.selectOptions(screen.getByTestId("field-imap-security"), "starttls");
    expect(screen.getByTestId("field-imap-port")).toHaveValue("143");

    await user.selectOptions(screen.getByTestId("field-smtp-security"), "none");
    expect(screen.getByTestId("field-smtp-port")).toHaveValue("587");
    expect(screen.getByRole("note")).toHaveTextContent("plain text");
  });

  it("submits the account with defaults for the optional fields", async () => {
    const { user, onSubmit } = renderForm();
    await fillValidForm(user);
    await user.click(screen.getByTestId("since-1y"));
    await user.click(screen.getByTestId("submit-account"));

    expect(onSubmit).toHaveBeenCalledWith({
      email: "alice@example.org",
      senderName: "Alice Example",
      mailboxName: null,
      username: null,
      password: "hunter2",
      imap: { host: "imap.example.org", port: 993, security: "tls" },
      smtp: { host: "smtp.example.org", port: 465, security: "tls" },
      since: "1y",
    });
  });

  it("shows a checking state while the connection is tested", async () => {
    let finish!: () => void;
    const { user } = renderForm(vi.fn(() => new Promise<void>((resolve) => (finish = resolve))));
    await fillValidForm(user);
    await user.click(screen.getByTestId("submit-account"));

    const submit = screen.getByTestId("submit-account");
    expect(submit).toBeDisabled();
    expect(submit).toHaveTextContent("Checking the connection…");
    finish();
    await vi.waitFor(() => expect(screen.getByTestId("submit-account")).toBeEnabled());
  });

  it("shows a server error next to the field it names", async () => {
    const rejection = new CommandFailure({
      code: "auth_failed",
      message: "The server did not accept this password.",
      field: "password",
    });
    const { user } = renderForm(vi.fn().mockRejectedValue(rejection));
    await fillValidForm(user);
    await user.click(screen.getByTestId("submit-account"));

    expect(await screen.findByTestId("error-password")).toHaveTextContent(
      "The server did not accept this password.",
    );
    expect(screen.queryByTestId("form-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("field-password")).toHaveFocus();
  });

  it("shows a server error without a field at the top of the form", async () => {
    const { user } = renderForm(vi.fn().mockRejectedValue({ code: "internal", message: "Disk full", field: null }));
    await fillValidForm(user);
    await user.click(screen.getByTestId("submit-account"));

    expect(await screen.findByTestId("form-error")).toHaveTextContent("Disk full");
  });
});
