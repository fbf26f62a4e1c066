-- OAuth2 accounts (auth_kind google | microsoft) whose refresh token the provider no
-- longer honours: the UI offers "Sign in again" instead of Reconnect until a new
-- browser sign-in succeeds. The tokens themselves are in the OS keyring, never here.
ALTER TABLE account ADD COLUMN sign_in_required INTEGER NOT NULL DEFAULT 0;
