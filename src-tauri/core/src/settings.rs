//! App-wide settings the engine and the desktop shell act on: new-mail notifications and
//! quiet hours, keeping sync running in the tray, starting at login. Stored as one JSON
//! value; a missing or older value takes the defaults for what it lacks.

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

const KEY: &str = "app";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppSettings {
    /// Closing the window hides it; sync keeps running and the tray icon stays.
    pub close_to_tray: bool,
    pub start_at_login: bool,
    pub notifications: NotificationSettings,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            close_to_tray: true,
            start_at_login: false,
            notifications: NotificationSettings::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationSettings {
    pub enabled: bool,
    /// Every new inbound message, not only mail from contacts.
    pub all_mail: bool,
    pub quiet_hours: QuietHours,
}

impl Default for NotificationSettings {
    fn default() -> Self {
        NotificationSettings {
            enabled: true,
            all_mail: false,
            quiet_hours: QuietHours::default(),
        }
    }
}

/// A daily span of local time without notifications; it may wrap past midnight
/// (22:00–07:00). Minutes after midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct QuietHours {
    pub enabled: bool,
    pub start_minute: u16,
    pub end_minute: u16,
}

impl Default for QuietHours {
    fn default() -> Self {
        QuietHours {
            enabled: false,
            start_minute: 22 * 60,
            end_minute: 7 * 60,
        }
    }
}

const MINUTES_PER_DAY: u16 = 24 * 60;

impl QuietHours {
    /// Whether `minute` (after local midnight) falls in the quiet span. Start equal to end
    /// means no span at all rather than the whole day.
    pub fn contains(&self, minute: u16) -> bool {
        if !self.enabled || self.start_minute == self.end_minute {
            return false;
        }
        if self.start_minute < self.end_minute {
            (self.start_minute..self.end_minute).contains(&minute)
        } else {
            minute >= self.start_minute || minute < self.end_minute
        }
    }
}

/// Minutes after local midnight now.
pub fn local_minute_now() -> u16 {
    use chrono::Timelike;
    let now = chrono::Local::now();
    (now.hour() * 60 + now.minute()) as u16
}

impl AppSettings {
    pub fn validate(&self) -> Result<(), StoreError> {
        let quiet = &self.notifications.quiet_hours;
        for (field, minute) in [
            ("quietHoursStart", quiet.start_minute),
            ("quietHoursEnd", quiet.end_minute),
        ] {
            if minute >= MINUTES_PER_DAY {
                return Err(StoreError::Invalid {
                    field,
                    message: "Quiet hours need a time between 00:00 and 23:59.".into(),
                });
            }
        }
        Ok(())
    }

    pub async fn load(store: &Store) -> Result<AppSettings, StoreError> {
        let Some(json) = store.setting(KEY).await? else {
            return Ok(AppSettings::default());
        };
        match serde_json::from_str(&json) {
            Ok(settings) => Ok(settings),
            Err(e) => {
                // A value this version cannot read (hand-edited, or from a newer build) must
                // not stop the app: fall back to the defaults and say so in the log.
                tracing::warn!(error = %e, "unreadable app settings; using the defaults");
                Ok(AppSettings::default())
            }
        }
    }

    pub async fn save(&self, store: &Store) -> Result<(), StoreError> {
        self.validate()?;
        let json = serde_json::to_string(self)
            .map_err(|e| StoreError::Corrupt(format!("settings could not be written: {e}")))?;
        store.set_setting(KEY, &json).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_hours_may_wrap_past_midnight() {
        let night = QuietHours {
            enabled: true,
            start_minute: 22 * 60,
            end_minute: 7 * 60,
        };
        assert!(night.contains(23 * 60));
        assert!(night.contains(0));
        assert!(night.contains(6 * 60 + 59));
        assert!(!night.contains(7 * 60));
        assert!(!night.contains(12 * 60));
        let lunch = QuietHours {
            enabled: true,
            start_minute: 12 * 60,
            end_minute: 13 * 60,
        };
        assert!(lunch.contains(12 * 60 + 30));
        assert!(!lunch.contains(13 * 60));
        assert!(!QuietHours {
            enabled: false,
            ..lunch
        }
        .contains(12 * 60 + 30));
        assert!(!QuietHours {
            end_minute: 12 * 60,
            ..lunch
        }
        .contains(12 * 60));
    }

    #[tokio::test]
    async fn settings_round_trip_and_default_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        assert_eq!(
            AppSettings::load(&store).await.unwrap(),
            AppSettings::default()
        );
        let mut settings = AppSettings {
            close_to_tray: false,
            ..AppSettings::default()
        };
        settings.notifications.all_mail = true;
        settings.notifications.quiet_hours.enabled = true;
        settings.save(&store).await.unwrap();
        assert_eq!(AppSettings::load(&store).await.unwrap(), settings);
    }

    #[tokio::test]
    async fn a_time_past_midnight_is_refused_with_its_field() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let mut settings = AppSettings::default();
        settings.notifications.quiet_hours.end_minute = 24 * 60;
        match settings.save(&store).await {
            Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "quietHoursEnd"),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn older_values_take_defaults_for_what_they_lack() {
        let settings: AppSettings = serde_json::from_str(r#"{"closeToTray":false}"#).unwrap();
        assert!(!settings.close_to_tray);
        assert!(settings.notifications.enabled);
    }
}
