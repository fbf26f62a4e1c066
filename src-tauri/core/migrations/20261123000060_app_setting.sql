-- App-wide preferences that the engine acts on (notifications, quiet hours, tray, login
-- start), one JSON value per key. The UI-only choices (language, theme) stay in the
-- window's own storage.
CREATE TABLE app_setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
