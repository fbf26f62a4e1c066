//! `rapport-cli followups` and `rapport-cli followup ...`: the follow-up radar.

use anyhow::{bail, Context, Result};
use chrono::{Local, NaiveDate, TimeZone};
use clap::Subcommand;
use rapport_core::{
    store::{FollowUpLists, FollowUpQuery, FollowUpStatus, WaitingThread},
    Store,
};

use crate::print;

#[derive(Subcommand)]
pub enum FollowUpCommand {
    /// Hide a waiting thread until a day (YYYY-MM-DD, local time), by its message id.
    Snooze {
        message_id: i64,
        #[arg(long, value_name = "YYYY-MM-DD")]
        until: String,
    },
    /// Hide a waiting thread until a newer message arrives in it.
    Dismiss { message_id: i64 },
    /// Show a snoozed or dismissed thread again.
    Restore { message_id: i64 },
    /// Show or change the settings: working days to wait, days to look back, usual cadence.
    Settings {
        #[arg(long)]
        wait_days: Option<i64>,
        #[arg(long)]
        lookback_days: Option<i64>,
        #[arg(long)]
        cadence_days: Option<i64>,
    },
    /// Days a contact may stay silent before going cold ("default" for the usual cadence).
    Cadence { address: String, days: String },
}

pub async fn list(
    store: &Store,
    stages: Vec<String>,
    contact: Option<String>,
    limit: usize,
    json: bool,
) -> Result<()> {
    let contact_id = match contact {
        Some(address) => Some(
            store
                .contact_id_for(&address)
                .await?
                .with_context(|| format!("{address} is not a contact"))?,
        ),
        None => None,
    };
    let lists = store
        .follow_ups(&FollowUpQuery {
            stages: (!stages.is_empty()).then_some(stages),
            contact_id,
            limit,
        })
        .await?;
    print(json, &lists, || human(&lists))
}

fn day(seconds: i64) -> String {
    Local
        .timestamp_opt(seconds, 0)
        .earliest()
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn waiting_lines(out: &mut String, title: &str, count: usize, threads: &[WaitingThread]) {
    out.push_str(&format!("{title} ({count})\n"));
    for t in threads {
        out.push_str(&format!(
            "  {}  {} working days  {} <{}>  {}  [message {}]\n",
            day(t.date),
            t.working_days,
            t.person.name,
            t.person.address,
            t.subject,
            t.message_id
        ));
    }
}

fn human(lists: &FollowUpLists) -> String {
    let mut out = String::new();
    waiting_lines(
        &mut out,
        "Waiting for a reply",
        lists.counts.awaiting_reply,
        &lists.awaiting_reply,
    );
    waiting_lines(
        &mut out,
        "Waiting on me",
        lists.counts.awaiting_me,
        &lists.awaiting_me,
    );
    out.push_str(&format!("Going cold ({})\n", lists.counts.going_cold));
    for c in &lists.going_cold {
        out.push_str(&format!(
            "  {}  <{}>  {}  last {}  {} days overdue\n",
            c.display_name,
            c.email,
            c.stage,
            c.last_contact_at.map(day).unwrap_or_else(|| "never".into()),
            c.overdue_days
        ));
    }
    out.push_str(&format!("Follow-up dates ({} due)\n", lists.counts.due));
    for f in &lists.follow_ups {
        let mark = match f.status {
            FollowUpStatus::Overdue => "OVERDUE",
            FollowUpStatus::Due => "DUE",
            FollowUpStatus::Upcoming => "",
        };
        out.push_str(&format!(
            "  {}  {}  <{}>  {mark}\n",
            day(f.follow_up_at),
            f.display_name,
            f.email
        ));
    }
    out.trim_end().to_owned()
}

pub async fn command(store: &Store, command: FollowUpCommand, json: bool) -> Result<()> {
    match command {
        FollowUpCommand::Snooze { message_id, until } => {
            let date = NaiveDate::parse_from_str(&until, "%Y-%m-%d")
                .with_context(|| format!("--until {until}: write the day as YYYY-MM-DD"))?;
            let Some(midnight) = date
                .and_hms_opt(0, 0, 0)
                .and_then(|t| Local.from_local_datetime(&t).earliest())
            else {
                bail!("--until {until}: that day has no midnight in this time zone");
            };
            store
                .snooze_follow_up(message_id, Some(midnight.timestamp()))
                .await?;
            print(
                json,
                &serde_json::json!({ "snoozed": message_id, "until": midnight.timestamp() }),
                || format!("Message {message_id} is snoozed until {until}."),
            )
        }
        FollowUpCommand::Dismiss { message_id } => {
            store.dismiss_follow_up(message_id).await?;
            print(
                json,
                &serde_json::json!({ "dismissed": message_id }),
                || format!("Message {message_id} is dismissed until its thread moves on."),
            )
        }
        FollowUpCommand::Restore { message_id } => {
            store.restore_follow_up(message_id).await?;
            print(json, &serde_json::json!({ "restored": message_id }), || {
                format!("Message {message_id} shows again when it is waiting.")
            })
        }
        FollowUpCommand::Settings {
            wait_days,
            lookback_days,
            cadence_days,
        } => {
            let mut settings = store.followup_settings().await?;
            if wait_days.is_some() || lookback_days.is_some() || cadence_days.is_some() {
                settings.reply_wait_days = wait_days.unwrap_or(settings.reply_wait_days);
                settings.lookback_days = lookback_days.unwrap_or(settings.lookback_days);
                settings.cadence_days = cadence_days.unwrap_or(settings.cadence_days);
                store.set_followup_settings(&settings).await?;
            }
            print(json, &settings, || {
                format!(
                    "Waiting after {} working days, looking back {} days; contacts go cold after {} days.",
                    settings.reply_wait_days, settings.lookback_days, settings.cadence_days
                )
            })
        }
        FollowUpCommand::Cadence { address, days } => {
            let id = store
                .contact_id_for(&address)
                .await?
                .with_context(|| format!("{address} is not a contact"))?;
            let days =
                if days == "default" {
                    None
                } else {
                    Some(days.parse::<i64>().with_context(|| {
                        format!("{days}: give a number of days, or \"default\"")
                    })?)
                };
            store.set_contact_cadence(id, days).await?;
            print(
                json,
                &serde_json::json!({ "contact": address, "cadenceDays": days }),
                || match days {
                    Some(d) => format!("{address} goes cold after {d} days without mail."),
                    None => format!("{address} follows the usual cadence."),
                },
            )
        }
    }
}
