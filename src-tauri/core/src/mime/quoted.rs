//! What the sender wrote versus what they quoted. A reply carries earlier mail in one of
//! three shapes: `>`-prefixed lines under an attribution ("On … wrote:", "Dne … napsal(a):",
//! "W dniu … pisze:", "… пише:"), an attribution over unprefixed text (HTML mail turned into
//! text loses the prefixes), or Outlook's block ("-----Original Message-----", or
//! "From: … / Sent: …" headers) with the whole earlier message below it. The snippet is
//! taken from the sender's own text; a reader shows the rest folded away.

use serde::Serialize;

/// A run of lines of a plain-text body, either the sender's own or quoted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextPart {
    /// Earlier mail quoted in this one (with the line introducing it).
    pub quoted: bool,
    pub text: String,
}

/// How attribution lines end, lowercased, in our users' languages and the ones their
/// correspondents commonly write in (mail clients' own wording, Gmail's and Thunderbird's).
const ATTRIBUTION_ENDINGS: &[&str] = &[
    "wrote:",
    "napsal:",
    "napsala:",
    "napsal(a):",
    "napsal/a:",
    "napísal:",
    "napísala:",
    "napísal(a):",
    "pisze:",
    "napisał:",
    "napisała:",
    "napisał(a):",
    "пише:",
    "написав:",
    "написала:",
    "написав(ла):",
    "написав(-ла):",
    "пишет:",
    "написал:",
    "написал(а):",
    "schrieb:",
    "a écrit :",
    "a écrit:",
    "escribió:",
];

/// The title between the dashes of Outlook's and webmail's separator lines, lowercased.
const ORIGINAL_MESSAGE_TITLES: &[&str] = &[
    "original message",
    "původní zpráva",
    "původní e-mail",
    "pôvodná správa",
    "pôvodný e-mail",
    "oryginalna wiadomość",
    "wiadomość oryginalna",
    "оригінальне повідомлення",
    "початкове повідомлення",
    "вихідне повідомлення",
    "исходное сообщение",
    "ursprüngliche nachricht",
    "message d'origine",
];

/// Header labels Outlook writes above a quoted message: who it was from, then when.
const FROM_LABELS: &[&str] = &["from:", "od:", "від:", "от:", "von:", "de:"];
const SENT_LABELS: &[&str] = &[
    "sent:",
    "date:",
    "odesláno:",
    "datum:",
    "odoslané:",
    "wysłano:",
    "wysłane:",
    "data:",
    "надіслано:",
    "дата:",
    "отправлено:",
    "gesendet:",
    "envoyé :",
    "envoyé:",
    "enviado:",
    "fecha:",
];

/// An attribution is one line of about this size at most; longer lines are prose.
const MAX_ATTRIBUTION_CHARS: usize = 300;

fn is_quote_line(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn ends_like_attribution(line: &str) -> bool {
    // Every ending is a colon: most lines are ruled out without lowercasing them.
    if !line.trim_end().ends_with(':') {
        return false;
    }
    let line = line.trim().to_lowercase();
    line.chars().count() <= MAX_ATTRIBUTION_CHARS
        && ATTRIBUTION_ENDINGS
            .iter()
            .any(|ending| line.ends_with(ending))
}

/// The lines `start..=end` of an attribution at `index`: one line, or two when a long one
/// was wrapped before the address ("On …, Alice <" / "alice@example.com> wrote:").
fn attribution_at(lines: &[&str], index: usize) -> Option<(usize, usize)> {
    let line = lines[index];
    if is_quote_line(line) {
        return None;
    }
    if ends_like_attribution(line) {
        return Some((index, index));
    }
    let next = lines.get(index + 1)?;
    let next_trimmed = next.trim_start();
    let wrapped = line.trim_end().ends_with('<')
        || (next_trimmed.starts_with('<') && next_trimmed.contains('@'))
        || next_trimmed
            .split_whitespace()
            .next()
            .is_some_and(|word| word.contains('@') && word.ends_with('>'));
    (wrapped && !is_blank(line) && ends_like_attribution(next)).then_some((index, index + 1))
}

fn next_non_blank(lines: &[&str], from: usize) -> Option<usize> {
    (from..lines.len()).find(|&i| !is_blank(lines[i]))
}

fn is_original_message_separator(line: &str) -> bool {
    let trimmed = line.trim();
    if !(trimmed.starts_with("--") || trimmed.starts_with("__")) {
        return false;
    }
    let title = trimmed
        .trim_matches(|c: char| c == '-' || c == '_' || c == '=' || c.is_whitespace())
        .to_lowercase();
    ORIGINAL_MESSAGE_TITLES.contains(&title.as_str())
}

fn starts_with_label(line: &str, labels: &[&str]) -> bool {
    // Labels are short words and a colon; look only at the start of the line.
    let head: String = line.trim_start().chars().take(16).collect();
    if !head.contains(':') {
        return false;
    }
    let head = head.to_lowercase();
    labels.iter().any(|label| head.starts_with(label))
}

/// Outlook's "From: …" header with a "Sent: …" (or "Date: …") within the next lines.
fn is_header_block(lines: &[&str], index: usize) -> bool {
    starts_with_label(lines[index], FROM_LABELS)
        && lines
            .iter()
            .skip(index + 1)
            .take(3)
            .any(|line| starts_with_label(line, SENT_LABELS))
}

/// A line of underscores or dashes only: Outlook's rule above its header block.
fn is_rule(line: &str) -> bool {
    let trimmed = line.trim();
    trimmed.chars().count() >= 10 && trimmed.chars().all(|c| c == '_' || c == '-')
}

/// Where everything to the end is earlier mail: an Outlook separator or header block, or
/// an attribution over unprefixed text. `None` when the body has no such tail.
fn quoted_tail_start(lines: &[&str]) -> Option<usize> {
    for index in 0..lines.len() {
        if is_quote_line(lines[index]) {
            continue;
        }
        let start = if is_original_message_separator(lines[index]) || is_header_block(lines, index)
        {
            Some(index)
        } else if let Some((start, end)) = attribution_at(lines, index) {
            // Unprefixed text under an attribution is a quote only when the attribution
            // names a date or an address, as real ones do; "Here is what he wrote:" is prose.
            let followed_by_prefixed =
                next_non_blank(lines, end + 1).is_some_and(|next| is_quote_line(lines[next]));
            let names_when_or_who = lines[start..=end]
                .iter()
                .any(|line| line.contains('@') || line.chars().any(|c| c.is_ascii_digit()));
            (!followed_by_prefixed && names_when_or_who && next_non_blank(lines, end + 1).is_some())
                .then_some(start)
        } else {
            None
        };
        if let Some(mut start) = start {
            // Take Outlook's rule and the blank lines above the block along with it.
            while start > 0 && (is_blank(lines[start - 1]) || is_rule(lines[start - 1])) {
                start -= 1;
            }
            return Some(start);
        }
    }
    None
}

/// The body in runs of own and quoted text, in order, each without leading or trailing
/// blank lines. Interleaved replies give several runs of each.
pub fn split_quoted(text: &str) -> Vec<TextPart> {
    let lines: Vec<&str> = text.lines().collect();
    let tail = quoted_tail_start(&lines).unwrap_or(lines.len());

    // Some(true) quoted, Some(false) own, None blank (decided by its neighbours below).
    let mut kinds: Vec<Option<bool>> = Vec::with_capacity(lines.len());
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        if index >= tail {
            kinds.push(Some(true));
        } else if is_blank(line) {
            kinds.push(None);
        } else if is_quote_line(line) {
            kinds.push(Some(true));
        } else if let Some((_, end)) = attribution_at(&lines, index).filter(|&(_, end)| {
            next_non_blank(&lines, end + 1).is_some_and(|next| is_quote_line(lines[next]))
        }) {
            for _ in index..=end {
                kinds.push(Some(true));
            }
            index = end + 1;
            continue;
        } else {
            kinds.push(Some(false));
        }
        index += 1;
    }

    // A blank line belongs with what follows it, or at the end with what precedes it.
    let mut following = None;
    for kind in kinds.iter_mut().rev() {
        match kind {
            Some(quoted) => following = Some(*quoted),
            None => *kind = following,
        }
    }
    let mut preceding = false;
    let kinds: Vec<bool> = kinds
        .into_iter()
        .map(|kind| {
            let quoted = kind.unwrap_or(preceding);
            preceding = quoted;
            quoted
        })
        .collect();

    let mut parts: Vec<TextPart> = Vec::new();
    let mut start = 0;
    while start < lines.len() {
        let quoted = kinds[start];
        let end = (start..lines.len())
            .find(|&i| kinds[i] != quoted)
            .unwrap_or(lines.len());
        let run = &lines[start..end];
        let first = run.iter().position(|line| !is_blank(line));
        let last = run.iter().rposition(|line| !is_blank(line));
        if let (Some(first), Some(last)) = (first, last) {
            parts.push(TextPart {
                quoted,
                text: run[first..=last].join("\n").trim_end().to_owned(),
            });
        }
        start = end;
    }
    parts
}

/// What the sender wrote themselves, quoted text left out (own runs joined by a blank line).
pub fn reply_text(text: &str) -> String {
    split_quoted(text)
        .into_iter()
        .filter(|part| !part.quoted)
        .map(|part| part.text)
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(text: &str) -> TextPart {
        TextPart {
            quoted: false,
            text: text.to_owned(),
        }
    }

    fn quoted(text: &str) -> TextPart {
        TextPart {
            quoted: true,
            text: text.to_owned(),
        }
    }

    #[test]
    fn text_without_quotes_is_all_own() {
        let text = "Hello Alice,\n\nthe offer is attached.\n\n-- \nBob";
        assert_eq!(split_quoted(text), vec![own(text)]);
        assert_eq!(reply_text(text), text);
    }

    #[test]
    fn english_gmail_reply_folds_the_attribution_and_quote() {
        let text = "Sounds good, see you on Monday.\r\n\r\nOn Tue, Nov 10, 2026 at 9:30 AM Alice Example <alice@example.com> wrote:\r\n> Shall we meet on Monday?\r\n>\r\n> Alice\r\n";
        assert_eq!(
            split_quoted(text),
            vec![
                own("Sounds good, see you on Monday."),
                quoted("On Tue, Nov 10, 2026 at 9:30 AM Alice Example <alice@example.com> wrote:\n> Shall we meet on Monday?\n>\n> Alice"),
            ]
        );
        assert_eq!(reply_text(text), "Sounds good, see you on Monday.");
    }

    #[test]
    fn an_attribution_wrapped_before_the_address_is_folded_whole() {
        let text = "Thanks!\n\nOn Tue, Nov 10, 2026 at 9:30 AM Alice Example <\nalice@example.com> wrote:\n\n> Here are the numbers.\n";
        assert_eq!(reply_text(text), "Thanks!");
        let wrapped_the_other_way = "Thanks!\n\nOn Tue, Nov 10, 2026 at 9:30 AM Alice Example\n<alice@example.com> wrote:\n> Here are the numbers.\n";
        assert_eq!(reply_text(wrapped_the_other_way), "Thanks!");
    }

    #[test]
    fn czech_and_slovak_attributions_are_recognised() {
        let thunderbird = "Děkuji, posíláme podklady.\n\nDne 10. 11. 2026 v 9:30 Jiří Dvořák napsal(a):\n> Pošlete prosím podklady.\n";
        assert_eq!(reply_text(thunderbird), "Děkuji, posíláme podklady.");
        let gmail = "Platí.\n\npo 10. 11. 2026 v 9:30 odesílatel Jiří Dvořák <jiri@acme.cz> napsal:\n> Platí to na pondělí?\n";
        assert_eq!(reply_text(gmail), "Platí.");
        let seznam = "Ano, souhlasím.\n\n---------- Původní e-mail ----------\nOd: Jiří Dvořák <jiri@acme.cz>\nKomu: alice@rapport.test\nDatum: 10. 11. 2026 9:30:00\nPředmět: Nabídka\n\nDobrý den, posílám nabídku.\n";
        assert_eq!(
            split_quoted(seznam),
            vec![
                own("Ano, souhlasím."),
                quoted("---------- Původní e-mail ----------\nOd: Jiří Dvořák <jiri@acme.cz>\nKomu: alice@rapport.test\nDatum: 10. 11. 2026 9:30:00\nPředmět: Nabídka\n\nDobrý den, posílám nabídku."),
            ]
        );
        let slovak =
            "Ďakujem.\n\nDňa 10. 11. 2026 o 9:30 Ján Novák napísal(a):\n> Posielam zmluvu.\n";
        assert_eq!(reply_text(slovak), "Ďakujem.");
    }

    #[test]
    fn polish_attributions_and_outlook_headers_are_recognised() {
        let thunderbird = "Dziękuję, potwierdzam.\n\nW dniu 10.11.2026 o 09:30, Anna Kowalska pisze:\n> Czy termin jest aktualny?\n";
        assert_eq!(reply_text(thunderbird), "Dziękuję, potwierdzam.");
        let gmail = "Tak.\n\nwt., 10 lis 2026 o 09:30 Anna Kowalska <anna@firma.pl> napisał(a):\n> Czy termin jest aktualny?\n";
        assert_eq!(reply_text(gmail), "Tak.");
        let outlook = "Przesyłam poprawioną wersję.\n\n________________________________\nOd: Anna Kowalska <anna@firma.pl>\nWysłano: wtorek, 10 listopada 2026 09:30\nDo: Jan Nowak\nTemat: Umowa\n\nProszę o poprawki.\n";
        assert_eq!(
            split_quoted(outlook),
            vec![
                own("Przesyłam poprawioną wersję."),
                quoted("________________________________\nOd: Anna Kowalska <anna@firma.pl>\nWysłano: wtorek, 10 listopada 2026 09:30\nDo: Jan Nowak\nTemat: Umowa\n\nProszę o poprawki."),
            ]
        );
    }

    #[test]
    fn ukrainian_attributions_and_outlook_headers_are_recognised() {
        let thunderbird =
            "Дякую, все отримали.\n\n10.11.2026 09:30, Олена Коваль пише:\n> Надсилаю договір.\n";
        assert_eq!(reply_text(thunderbird), "Дякую, все отримали.");
        let gmail = "Так, підходить.\n\nвт, 10 лист. 2026 р. о 09:30 Олена Коваль <olena@firma.ua> пише:\n> Чи підходить понеділок?\n";
        assert_eq!(reply_text(gmail), "Так, підходить.");
        let outlook = "Погоджено.\n\nВід: Олена Коваль <olena@firma.ua>\nНадіслано: 10 листопада 2026 р. 9:30\nКому: Іван Петренко\nТема: Договір\n\nПрошу погодити.\n";
        assert_eq!(reply_text(outlook), "Погоджено.");
    }

    #[test]
    fn outlook_original_message_separator_cuts_the_rest() {
        let text = "Approved.\n\n-----Original Message-----\nFrom: Alice <alice@example.com>\nSent: Tuesday, November 10, 2026 9:30 AM\nTo: Bob\nSubject: Budget\n\nPlease approve the budget.\n";
        let parts = split_quoted(text);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0], own("Approved."));
        assert!(parts[1].quoted);
        assert!(parts[1].text.starts_with("-----Original Message-----"));
        assert!(parts[1].text.ends_with("Please approve the budget."));
        let czech = "Schváleno.\n\n-----Původní zpráva-----\nOd: Alice\nOdesláno: úterý 10. listopadu 2026 9:30\nKomu: Bob\n\nSchvalte prosím rozpočet.\n";
        assert_eq!(reply_text(czech), "Schváleno.");
    }

    #[test]
    fn an_attribution_over_unprefixed_text_folds_the_rest() {
        // What mail-parser makes of an HTML reply: the blockquote's `>` are gone.
        let text = "Sure, Thursday works.\n\nOn Tue, Nov 10, 2026 at 9:30 AM Alice <alice@example.com> wrote:\nCould we move the call to Thursday?\nAlice\n";
        assert_eq!(reply_text(text), "Sure, Thursday works.");
    }

    #[test]
    fn prose_ending_in_wrote_is_not_an_attribution() {
        let text =
            "Here is what the customer wrote:\nThe delivery was late again.\nPlease call them.";
        assert_eq!(split_quoted(text), vec![own(text)]);
    }

    #[test]
    fn interleaved_replies_keep_each_answer_in_place() {
        let text = "On Monday Alice wrote:\n> Can you do Thursday?\nYes, at ten.\n\n> And the budget?\nApproved.\n";
        assert_eq!(
            split_quoted(text),
            vec![
                quoted("On Monday Alice wrote:\n> Can you do Thursday?"),
                own("Yes, at ten."),
                quoted("> And the budget?"),
                own("Approved."),
            ]
        );
        assert_eq!(reply_text(text), "Yes, at ten.\n\nApproved.");
    }

    #[test]
    fn a_message_that_is_only_a_quote_has_no_own_text() {
        assert_eq!(reply_text("> just the quote\n> again\n"), "");
        assert_eq!(split_quoted(""), Vec::<TextPart>::new());
    }
}
