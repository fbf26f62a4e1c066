//! The follow-up radar's calendar: "older than N working days" counted in the user's
//! local time zone, weekends skipped. The lists themselves are `store::followups`.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Weekday};

fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The first instant of `day` in `zone`. A day whose midnight does not exist (a DST
/// jump at midnight) starts at the first hour that does.
fn start_of_day<Tz: TimeZone>(zone: &Tz, day: NaiveDate) -> i64 {
    for hour in 0..4 {
        if let Some(time) = day.and_hms_opt(hour, 0, 0) {
            if let Some(start) = zone.from_local_datetime(&time).earliest() {
                return start.timestamp();
            }
        }
    }
    // No zone skips four hours; UTC midnight keeps the answer defined if one ever does.
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_default()
}

/// The moment before which a message has waited at least `days` working days at `now`.
///
/// Waiting is counted in whole local days: a message from day D has waited as many
/// working days as there are Monday-to-Friday days after D up to and including today.
/// So the answer is the local midnight that starts the `days`-th working day counting
/// back from today (today included when it is a working day): everything sent before it
/// is overdue. Three working days on a Wednesday: Monday 00:00, so Friday's and the
/// weekend's mail is due, Monday's is not yet.
pub fn waiting_cutoff<Tz: TimeZone>(now: &DateTime<Tz>, days: u32) -> i64 {
    let zone = now.timezone();
    let mut day = now.date_naive();
    let mut counted = 0;
    loop {
        if is_working_day(day) {
            counted += 1;
            if counted >= days.max(1) {
                return start_of_day(&zone, day);
            }
        }
        day -= Duration::days(1);
    }
}

/// Working days between a message's local day and today's (today counted, that day not).
pub fn working_days_since<Tz: TimeZone>(now: &DateTime<Tz>, then: i64) -> i64 {
    let zone = now.timezone();
    let today = now.date_naive();
    let Some(then) = zone.timestamp_opt(then, 0).earliest() else {
        return 0;
    };
    let mut day = then.date_naive();
    let mut count = 0;
    // Waiting lists look back at most a year: the walk is bounded.
    while day < today && count < 400 {
        day += Duration::days(1);
        if is_working_day(day) {
            count += 1;
        }
    }
    count
}

/// The local midnight that starts today: a follow-up date before it is overdue.
pub fn start_of_today<Tz: TimeZone>(now: &DateTime<Tz>) -> i64 {
    start_of_day(&now.timezone(), now.date_naive())
}

/// The local midnight that ends today: a follow-up date before it is due.
pub fn end_of_today<Tz: TimeZone>(now: &DateTime<Tz>) -> i64 {
    start_of_day(&now.timezone(), now.date_naive() + Duration::days(1))
}

#[cfg(test)]
mod tests {
    use chrono::{FixedOffset, Utc};

    use super::*;

    fn at(zone: &FixedOffset, y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
        zone.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn three_working_days_on_a_wednesday_reach_back_over_the_weekend() {
        let prague = FixedOffset::east_opt(3600).unwrap();
        // 2026-11-18 is a Wednesday.
        let now = at(&prague, 2026, 11, 18, 15);
        let cutoff = waiting_cutoff(&now, 3);
        assert_eq!(
            cutoff,
            at(&prague, 2026, 11, 16, 0).timestamp(),
            "Monday midnight"
        );
        assert_eq!(
            working_days_since(&now, at(&prague, 2026, 11, 13, 17).timestamp()),
            3
        );
        assert_eq!(
            working_days_since(&now, at(&prague, 2026, 11, 15, 10).timestamp()),
            3
        );
        assert_eq!(
            working_days_since(&now, at(&prague, 2026, 11, 16, 9).timestamp()),
            2
        );
    }

    #[test]
    fn a_weekend_does_not_count_as_waiting() {
        let zone = FixedOffset::east_opt(0).unwrap();
        // Sent on Friday; on Monday only one working day has passed.
        let monday = at(&zone, 2026, 11, 23, 9);
        let friday = at(&zone, 2026, 11, 20, 16).timestamp();
        assert_eq!(working_days_since(&monday, friday), 1);
        assert!(friday >= waiting_cutoff(&monday, 3), "not yet overdue");
        // On Wednesday it is.
        let wednesday = at(&zone, 2026, 11, 25, 9);
        assert!(friday < waiting_cutoff(&wednesday, 3));
    }

    #[test]
    fn on_a_saturday_the_count_starts_from_friday() {
        let zone = FixedOffset::east_opt(0).unwrap();
        let saturday = at(&zone, 2026, 11, 21, 12);
        assert_eq!(
            waiting_cutoff(&saturday, 1),
            at(&zone, 2026, 11, 20, 0).timestamp()
        );
        assert_eq!(
            waiting_cutoff(&saturday, 3),
            at(&zone, 2026, 11, 18, 0).timestamp()
        );
    }

    #[test]
    fn the_cutoff_is_a_local_midnight_not_a_utc_one() {
        let kyiv = FixedOffset::east_opt(2 * 3600).unwrap();
        let now = at(&kyiv, 2026, 11, 18, 1);
        let cutoff = waiting_cutoff(&now, 1);
        assert_eq!(cutoff, at(&kyiv, 2026, 11, 18, 0).timestamp());
        assert_eq!(
            cutoff,
            Utc.with_ymd_and_hms(2026, 11, 17, 22, 0, 0)
                .unwrap()
                .timestamp()
        );
    }

    #[test]
    fn today_has_a_start_and_an_end() {
        let zone = FixedOffset::west_opt(5 * 3600).unwrap();
        let now = at(&zone, 2026, 11, 18, 23);
        assert_eq!(end_of_today(&now) - start_of_today(&now), 86_400);
        assert_eq!(start_of_today(&now), at(&zone, 2026, 11, 18, 0).timestamp());
    }
}
