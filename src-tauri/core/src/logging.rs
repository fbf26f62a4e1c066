//! Logging for both faces: a daily log file in the data folder's `logs/`, and warnings
//! on stderr. Nothing secret is ever passed to `tracing`, so nothing secret is logged.

use std::path::Path;

use tracing_subscriber::{fmt, layer::SubscriberExt, util::SubscriberInitExt, EnvFilter, Layer};

/// Keeps the background log writer alive; drop it last so buffered lines are written.
pub struct LogGuard(#[allow(dead_code)] Option<tracing_appender::non_blocking::WorkerGuard>);

/// Starts logging to `log_dir/<file_prefix>.YYYY-MM-DD` (info and up, or `RUST_LOG`) and
/// to stderr at `stderr_level`. If the log folder cannot be created, logs go to stderr
/// only rather than failing the program.
pub fn init(log_dir: &Path, file_prefix: &str, stderr_level: tracing::Level) -> LogGuard {
    let file_filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,async_imap=warn"));
    let stderr_layer = fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_filter(tracing_subscriber::filter::LevelFilter::from_level(
            stderr_level,
        ));
    let (file_layer, guard) = match std::fs::create_dir_all(log_dir) {
        Ok(()) => {
            let appender = tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix(file_prefix)
                .filename_suffix("log")
                .max_log_files(14)
                .build(log_dir);
            match appender {
                Ok(appender) => {
                    let (writer, guard) = tracing_appender::non_blocking(appender);
                    let layer = fmt::layer()
                        .with_writer(writer)
                        .with_ansi(false)
                        .with_filter(file_filter);
                    (Some(layer), Some(guard))
                }
                Err(_) => (None, None),
            }
        }
        Err(_) => (None, None),
    };
    let _ = tracing_subscriber::registry()
        .with(stderr_layer)
        .with(file_layer)
        .try_init();
    LogGuard(guard)
}
