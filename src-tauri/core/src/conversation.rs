//! Conversations. Messages join a thread only through In-Reply-To and References (see
//! `store::messages`), never by subject alone; the subject is only what a thread is
//! called, and that name drops the reply and forward prefixes mail clients add in our
//! users' languages, so "Odp: Re: Nabídka" and "Від: Nabídka" are both "Nabídka".

/// Reply and forward markers, lowercase, without the colon. Outlook and webmail clients
/// translate them: Czech/Slovak (odp, př, fw), Polish (odp, pd), Ukrainian (від, відп,
/// пересл), Russian (отв, пересл), German (aw, wg), Scandinavian (sv, vs), French (tr).
const PREFIXES: &[&str] = &[
    "re",
    "fw",
    "fwd",
    "odp",
    "odp.",
    "pd",
    "př",
    "aw",
    "wg",
    "sv",
    "vs",
    "tr",
    "rif",
    "antw",
    "r",
    "від",
    "відп",
    "відповідь",
    "пересл",
    "отв",
    "ответ",
];

/// The subject without leading reply/forward prefixes ("Re:", "RE[2]:", "Fwd:",
/// "Odp.:", "Від:", "Отв:"), repeated or mixed, and without surrounding blanks.
/// A subject that is nothing but prefixes keeps its last word rather than becoming empty.
pub fn normalize_subject(subject: &str) -> &str {
    let mut rest = subject.trim();
    while let Some(after) = strip_one_prefix(rest) {
        if after.is_empty() {
            break;
        }
        rest = after;
    }
    rest
}

/// `rest` after one prefix such as "Re:", "RE :", "Re[3]:", "Re(2):" or "Odp.:", if it
/// starts with one.
fn strip_one_prefix(text: &str) -> Option<&str> {
    let colon = text.find([':', '：'])?;
    let head = text[..colon].trim_end();
    // "Re[2]" / "Re(2)": a reply counter some clients add.
    let word = match head.find(['[', '(']) {
        Some(open) if head.ends_with([']', ')']) => {
            let counter = &head[open + 1..head.len() - 1];
            if counter.is_empty() || !counter.chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            head[..open].trim_end()
        }
        _ => head,
    };
    if word.is_empty() || word.chars().count() > 12 || word.contains(char::is_whitespace) {
        return None;
    }
    let lower = word.to_lowercase();
    if !PREFIXES.contains(&lower.as_str()) {
        return None;
    }
    let after_colon = colon + text[colon..].chars().next().map_or(1, char::len_utf8);
    Some(text[after_colon..].trim_start())
}

#[cfg(test)]
mod tests {
    use super::normalize_subject;

    #[test]
    fn reply_and_forward_prefixes_in_our_languages_are_dropped() {
        for (subject, expected) in [
            ("Re: Offer", "Offer"),
            ("RE: RE: Offer", "Offer"),
            ("re:Offer", "Offer"),
            ("Fwd: Re: Offer", "Offer"),
            ("FW: Offer", "Offer"),
            ("Odp: Nabídka", "Nabídka"),
            ("Odp.: Nabídka", "Nabídka"),
            ("ODP: Odp: Zamówienie", "Zamówienie"),
            ("PD: Zamówienie", "Zamówienie"),
            ("Від: Пропозиція", "Пропозиція"),
            ("Відп: Пропозиція", "Пропозиція"),
            ("Отв: Предложение", "Предложение"),
            ("Пересл: Предложение", "Предложение"),
            ("PŘ: Faktura", "Faktura"),
            ("AW: WG: Angebot", "Angebot"),
            ("Re[2]: Offer", "Offer"),
            ("Re(3): Offer", "Offer"),
            ("RE : Offre", "Offre"),
            ("Re： Offer", "Offer"),
            ("  Re:   Offer  ", "Offer"),
        ] {
            assert_eq!(normalize_subject(subject), expected, "{subject}");
        }
    }

    #[test]
    fn words_that_only_look_like_prefixes_stay() {
        for subject in [
            "Offer",
            "Meeting: Tuesday",
            "Report 2026: results",
            "Re: ",
            "Regarding: invoice",
            "Re[x]: odd",
            "",
        ] {
            let expected = subject.trim();
            assert_eq!(normalize_subject(subject), expected, "{subject}");
        }
        // A prefix in the middle is part of the subject.
        assert_eq!(normalize_subject("Offer re: prices"), "Offer re: prices");
        // Only prefixes: the last one stays rather than an empty name.
        assert_eq!(normalize_subject("Re: Fwd:"), "Fwd:");
    }
}
