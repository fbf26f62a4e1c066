//! Where Rapport keeps its files. The desktop app and the CLI must agree, so both use this.

use std::path::PathBuf;

/// The app identifier from tauri.conf.json; the per-user data folder is named after it,
/// the same way Tauri names `app_data_dir`.
pub const APP_IDENTIFIER: &str = "app.rapport.desktop";

/// Environment variable that overrides the data folder (like `--data-dir`).
pub const DATA_DIR_ENV: &str = "RAPPORT_DATA_DIR";

/// The data folder: `explicit` (from `--data-dir`) if given, else `RAPPORT_DATA_DIR`,
/// else the OS's per-user data folder (`~/.local/share/app.rapport.desktop` on Linux,
/// `~/Library/Application Support/app.rapport.desktop` on macOS,
/// `%APPDATA%\app.rapport.desktop` on Windows).
pub fn data_dir(explicit: Option<PathBuf>) -> Option<PathBuf> {
    explicit
        .or_else(|| {
            std::env::var_os(DATA_DIR_ENV)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(|| dirs::data_dir().map(|d| d.join(APP_IDENTIFIER)))
}

/// The SQLite database inside a data folder.
pub fn database_file(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("rapport.sqlite3")
}

/// The log folder inside a data folder.
pub fn log_dir(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("logs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_data_dir_wins() {
        let dir = data_dir(Some(PathBuf::from("/tmp/x"))).unwrap();
        assert_eq!(dir, PathBuf::from("/tmp/x"));
        assert_eq!(database_file(&dir), PathBuf::from("/tmp/x/rapport.sqlite3"));
    }
}
