//! A deterministic, realistic mailbox: hundreds of correspondents across ~150 domains,
//! Czech, Polish, Ukrainian and English names and subjects (RFC 2047 encoded), plain,
//! HTML and multipart messages with attachments, threads with localized reply prefixes,
//! newsletters. The same spec always gives byte-identical messages.

use std::{
    fs,
    io::{self, Write},
    path::Path,
    time::{Duration, SystemTime},
};

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedSpec {
    /// The mailbox owner's address, e.g. alice@rapport.test.
    pub owner: String,
    pub owner_name: String,
    pub count: usize,
    pub seed: u64,
    /// The date of the newest message.
    pub newest: DateTime<Utc>,
    /// Messages spread over this many days before `newest`.
    pub span_days: u32,
    /// Share of messages written by the owner (stored in Sent).
    pub sent_share_percent: u8,
}

/// Now, to the second (the only time-dependent input a caller normally passes).
pub fn now() -> DateTime<Utc> {
    Utc::now()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeededMessage {
    /// With angle brackets, as in the header.
    pub message_id: String,
    /// "INBOX" or "Sent".
    pub folder: String,
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub date: i64,
    pub has_attachment: bool,
    pub in_reply_to: Option<String>,
    pub bulk: bool,
    pub seen: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedManifest {
    pub messages: Vec<SeededMessage>,
}

impl SeedManifest {
    /// Messages where `address` is the sender or a To/Cc recipient (case-insensitive).
    pub fn messages_with(&self, address: &str) -> Vec<&SeededMessage> {
        let wanted = address.to_lowercase();
        self.messages
            .iter()
            .filter(|m| {
                m.from.to_lowercase() == wanted
                    || m.to
                        .iter()
                        .chain(m.cc.iter())
                        .any(|a| a.to_lowercase() == wanted)
            })
            .collect()
    }
}

/// splitmix64: tiny, fast and good enough for test data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u8) -> bool {
        self.below(100) < percent as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Czech,
    Polish,
    Ukrainian,
    English,
}

struct Person {
    name: String,
    address: String,
    language: Language,
}

const CZ_FIRST: &[&str] = &[
    "Jiří",
    "Petr",
    "Jana",
    "Tereza",
    "Tomáš",
    "Lucie",
    "Martin",
    "Kateřina",
    "Ondřej",
    "Zuzana",
    "Lukáš",
    "Veronika",
];
const CZ_LAST: &[&str] = &[
    "Dvořák",
    "Novák",
    "Svobodová",
    "Černý",
    "Procházka",
    "Kučerová",
    "Veselý",
    "Horáková",
    "Němec",
    "Marková",
];
const PL_FIRST: &[&str] = &[
    "Łukasz",
    "Agnieszka",
    "Paweł",
    "Małgorzata",
    "Krzysztof",
    "Żaneta",
    "Michał",
    "Katarzyna",
    "Grzegorz",
    "Ewa",
];
const PL_LAST: &[&str] = &[
    "Wójcik",
    "Kowalska",
    "Nowak",
    "Zieliński",
    "Wiśniewska",
    "Lewandowski",
    "Dąbrowska",
    "Kamiński",
];
const UA_FIRST: &[&str] = &[
    "Олена",
    "Андрій",
    "Тарас",
    "Ірина",
    "Богдан",
    "Наталія",
    "Олександр",
    "Юлія",
    "Микола",
    "Оксана",
];
const UA_LAST: &[&str] = &[
    "Шевченко",
    "Коваленко",
    "Бондаренко",
    "Ткаченко",
    "Кравченко",
    "Олійник",
    "Мельник",
    "Лисенко",
];
const EN_FIRST: &[&str] = &[
    "James", "Emma", "Oliver", "Sophie", "Daniel", "Grace", "Henry", "Chloe", "Samuel", "Ruby",
];
const EN_LAST: &[&str] = &[
    "Smith", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker",
];

const COMPANY_WORDS: &[&str] = &[
    "acme",
    "nova",
    "stavby",
    "logistics",
    "trans",
    "agro",
    "techno",
    "medica",
    "bud",
    "print",
    "data",
    "energo",
    "servis",
    "market",
    "invest",
    "pol",
    "ukr",
    "alfa",
    "delta",
    "vector",
];
const COMPANY_SUFFIXES: &[&str] = &["cz", "sk", "pl", "com.ua", "ua", "com", "eu", "de", "co.uk"];
const FREE_MAIL: &[(&str, Language)] = &[
    ("gmail.com", Language::English),
    ("seznam.cz", Language::Czech),
    ("email.cz", Language::Czech),
    ("wp.pl", Language::Polish),
    ("o2.pl", Language::Polish),
    ("ukr.net", Language::Ukrainian),
    ("i.ua", Language::Ukrainian),
    ("outlook.com", Language::English),
];

const SUBJECTS_CZ: &[&str] = &[
    "Nabídka na dodávku materiálu",
    "Faktura za říjen",
    "Schůzka příští týden",
    "Objednávka č. 2026-114",
    "Smlouva k podpisu",
    "Cenová kalkulace",
    "Dotaz k zakázce",
];
const SUBJECTS_PL: &[&str] = &[
    "Oferta handlowa",
    "Faktura za usługi",
    "Spotkanie w przyszłym tygodniu",
    "Zamówienie nr 778",
    "Umowa do podpisu",
    "Pytanie o dostawę",
];
const SUBJECTS_UA: &[&str] = &[
    "Комерційна пропозиція",
    "Рахунок за жовтень",
    "Зустріч наступного тижня",
    "Замовлення №512",
    "Договір на підпис",
    "Питання щодо доставки",
];
const SUBJECTS_EN: &[&str] = &[
    "Quarterly review",
    "Invoice for October",
    "Meeting next week",
    "Purchase order 4471",
    "Contract for signature",
    "Question about delivery",
    "Proposal follow-up",
];

const BODIES_CZ: &[&str] = &["Dobrý den,\n\nposílám slíbené podklady. Dejte prosím vědět, zda vám termín vyhovuje.\n\nS pozdravem", "Dobrý den,\n\nděkujeme za objednávku, zboží expedujeme ve čtvrtek.\n\nHezký den"];
const BODIES_PL: &[&str] = &[
    "Dzień dobry,\n\nw załączeniu przesyłam ofertę. Proszę o informację zwrotną.\n\nPozdrawiam",
    "Dzień dobry,\n\ndziękujemy za zamówienie, wysyłka nastąpi w czwartek.\n\nZ poważaniem",
];
const BODIES_UA: &[&str] = &["Добрий день,\n\nнадсилаю обіцяні матеріали. Повідомте, будь ласка, чи підходить вам термін.\n\nЗ повагою", "Добрий день,\n\nдякуємо за замовлення, відправимо у четвер.\n\nГарного дня"];
const BODIES_EN: &[&str] = &["Hello,\n\nplease find the documents we discussed. Let me know if the date works for you.\n\nBest regards", "Hi,\n\nthanks for the order, we ship on Thursday.\n\nKind regards"];

impl Language {
    fn subjects(self) -> &'static [&'static str] {
        match self {
            Language::Czech => SUBJECTS_CZ,
            Language::Polish => SUBJECTS_PL,
            Language::Ukrainian => SUBJECTS_UA,
            Language::English => SUBJECTS_EN,
        }
    }

    fn bodies(self) -> &'static [&'static str] {
        match self {
            Language::Czech => BODIES_CZ,
            Language::Polish => BODIES_PL,
            Language::Ukrainian => BODIES_UA,
            Language::English => BODIES_EN,
        }
    }

    /// The reply prefix a mail client in this language writes.
    fn reply_prefix(self) -> &'static str {
        match self {
            Language::Czech => "Re:",
            Language::Polish => "Odp:",
            Language::Ukrainian => "Від:",
            Language::English => "Re:",
        }
    }

    fn names(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Language::Czech => (CZ_FIRST, CZ_LAST),
            Language::Polish => (PL_FIRST, PL_LAST),
            Language::Ukrainian => (UA_FIRST, UA_LAST),
            Language::English => (EN_FIRST, EN_LAST),
        }
    }
}

fn ascii_slug(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            let mapped = match c {
                'á' | 'ą' | 'а' => 'a',
                'č' | 'ć' | 'ц' | 'ч' => 'c',
                'ď' | 'д' => 'd',
                'é' | 'ě' | 'ę' | 'е' | 'є' => 'e',
                'í' | 'і' | 'ї' | 'и' => 'i',
                'ł' | 'л' => 'l',
                'ň' | 'ń' | 'н' => 'n',
                'ó' | 'о' => 'o',
                'ř' | 'р' => 'r',
                'š' | 'ś' | 'с' | 'ш' => 's',
                'ť' | 'т' => 't',
                'ú' | 'ů' | 'у' => 'u',
                'ý' | 'й' => 'y',
                'ž' | 'ź' | 'ż' | 'з' | 'ж' => 'z',
                'б' => 'b',
                'в' => 'v',
                'г' | 'ґ' => 'h',
                'к' => 'k',
                'м' => 'm',
                'п' => 'p',
                'ф' => 'f',
                'х' => 'h',
                'щ' => 's',
                'ю' => 'u',
                'я' => 'a',
                'ь' | '\'' => return None,
                c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase(),
                c if c.is_uppercase() => {
                    return ascii_slug(&c.to_lowercase().to_string()).chars().next()
                }
                _ => return None,
            };
            Some(mapped)
        })
        .collect()
}

fn people(rng: &mut Rng) -> Vec<Person> {
    let mut domains: Vec<(String, Language)> = Vec::new();
    for i in 0..140 {
        let a = COMPANY_WORDS[i % COMPANY_WORDS.len()];
        let b = COMPANY_WORDS[(i * 7 + 3) % COMPANY_WORDS.len()];
        let suffix = COMPANY_SUFFIXES[(i * 5 + 1) % COMPANY_SUFFIXES.len()];
        let language = match suffix {
            "cz" | "sk" => Language::Czech,
            "pl" => Language::Polish,
            "ua" | "com.ua" => Language::Ukrainian,
            _ => Language::English,
        };
        domains.push((format!("{a}-{b}{i}.{suffix}"), language));
    }
    for (domain, language) in FREE_MAIL {
        domains.push(((*domain).to_owned(), *language));
    }
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while out.len() < 400 {
        let (domain, language) = rng.pick(&domains).clone();
        let (firsts, lasts) = language.names();
        let first = rng.pick(firsts);
        let last = rng.pick(lasts);
        let address = format!("{}.{}@{}", ascii_slug(first), ascii_slug(last), domain);
        if seen.insert(address.clone()) {
            out.push(Person {
                name: format!("{first} {last}"),
                address,
                language,
            });
        }
    }
    out
}

/// RFC 2047 encoded-word for a header value if it is not plain ASCII.
fn encode_word(text: &str, base64_form: bool) -> String {
    if text.is_ascii() {
        return text.to_owned();
    }
    if base64_form {
        return format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        );
    }
    let mut out = String::from("=?UTF-8?Q?");
    for byte in text.bytes() {
        match byte {
            b' ' => out.push('_'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' => out.push(byte as char),
            _ => out.push_str(&format!("={byte:02X}")),
        }
    }
    out.push_str("?=");
    out
}

fn mailbox(name: &str, address: &str, b64: bool) -> String {
    if name.is_empty() {
        address.to_owned()
    } else if name.is_ascii() {
        format!("\"{name}\" <{address}>")
    } else {
        format!("{} <{address}>", encode_word(name, b64))
    }
}

fn quoted_printable(text: &str) -> String {
    let mut out = String::new();
    let mut line_len = 0;
    for byte in text.replace('\n', "\r\n").bytes() {
        let piece = match byte {
            b'\r' | b'\n' => {
                line_len = 0;
                out.push(byte as char);
                continue;
            }
            b'=' => "=3D".to_owned(),
            33..=126 | b' ' => (byte as char).to_string(),
            _ => format!("={byte:02X}"),
        };
        if line_len + piece.len() > 73 {
            out.push_str("=\r\n");
            line_len = 0;
        }
        line_len += piece.len();
        out.push_str(&piece);
    }
    out
}

fn base64_lines(bytes: &[u8]) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn attachment(rng: &mut Rng, language: Language) -> (String, &'static str, Vec<u8>) {
    let names: &[&str] = match language {
        Language::Czech => &["nabídka.pdf", "faktura-říjen.pdf", "ceník.csv"],
        Language::Polish => &["oferta.pdf", "zamówienie.csv", "umowa.pdf"],
        Language::Ukrainian => &["пропозиція.pdf", "рахунок.csv"],
        Language::English => &["proposal.pdf", "invoice.csv", "diagram.png"],
    };
    let name = (*rng.pick(names)).to_owned();
    let (kind, bytes): (&str, Vec<u8>) = if name.ends_with(".csv") {
        ("text/csv", b"item;qty;price\nA;1;100\nB;2;250\n".to_vec())
    } else if name.ends_with(".png") {
        (
            "image/png",
            vec![
                0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 13, b'I', b'H', b'D', b'R',
            ],
        )
    } else {
        (
            "application/pdf",
            format!("%PDF-1.4\n% {name} {}\n%%EOF\n", rng.next()).into_bytes(),
        )
    };
    (name, kind, bytes)
}

fn rfc2231_filename(name: &str) -> String {
    if name.is_ascii() {
        return format!("filename=\"{name}\"");
    }
    let mut encoded = String::new();
    for byte in name.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    format!("filename*=UTF-8''{encoded}")
}

/// The messages of `spec`, each with its bytes (CRLF line ends). Pure and deterministic.
pub fn generate(spec: &SeedSpec) -> Vec<(SeededMessage, Vec<u8>)> {
    let mut rng = Rng(spec.seed ^ 0x5E_ED0F_4A77_0A7D);
    let people = people(&mut rng);
    let owner_domain = spec
        .owner
        .rsplit('@')
        .next()
        .unwrap_or("rapport.test")
        .to_owned();
    let span = spec.span_days.max(1) as i64 * 86_400;
    let newest = spec.newest.timestamp();
    let mut out: Vec<(SeededMessage, Vec<u8>)> = Vec::with_capacity(spec.count);
    for i in 0..spec.count {
        // Oldest first, so replies always follow what they answer; spread evenly with jitter.
        let base = newest - span + (span * (i as i64 + 1)) / spec.count.max(1) as i64;
        let date = (base - rng.below(3600) as i64).min(newest);
        let bulk = rng.chance(5);
        let outgoing = !bulk && rng.chance(spec.sent_share_percent);
        let parent = if !bulk && i > 3 && rng.chance(30) {
            let back = 1 + rng.below(40.min(i));
            out.get(i - back)
                .filter(|(m, _)| !m.bulk)
                .map(|(m, _)| m.clone())
        } else {
            None
        };
        let person = &people[rng.below(people.len())];
        let (from, from_name, to, language) = match (&parent, outgoing) {
            (Some(p), _) => {
                // A reply goes back to whoever wrote the parent.
                if p.from.eq_ignore_ascii_case(&spec.owner) {
                    let other = p.to[0].clone();
                    let other_person = people.iter().find(|x| x.address == other);
                    let name = other_person.map(|x| x.name.clone()).unwrap_or_default();
                    let language = other_person
                        .map(|x| x.language)
                        .unwrap_or(Language::English);
                    (other, name, vec![spec.owner.clone()], language)
                } else {
                    let language = people
                        .iter()
                        .find(|x| x.address == p.from)
                        .map(|x| x.language)
                        .unwrap_or(Language::English);
                    (
                        spec.owner.clone(),
                        spec.owner_name.clone(),
                        vec![p.from.clone()],
                        language,
                    )
                }
            }
            (None, true) => (
                spec.owner.clone(),
                spec.owner_name.clone(),
                vec![person.address.clone()],
                person.language,
            ),
            (None, false) if bulk => {
                let shop = format!(
                    "no-reply@news.{}",
                    person.address.rsplit('@').next().unwrap_or("shop.cz")
                );
                (
                    shop,
                    "Newsletter".to_owned(),
                    vec![spec.owner.clone()],
                    person.language,
                )
            }
            (None, false) => (
                person.address.clone(),
                person.name.clone(),
                vec![spec.owner.clone()],
                person.language,
            ),
        };
        let folder = if from.eq_ignore_ascii_case(&spec.owner) {
            "Sent"
        } else {
            "INBOX"
        };
        let mut cc = Vec::new();
        if !bulk && rng.chance(20) {
            let extra = &people[rng.below(people.len())];
            if extra.address != from && !to.contains(&extra.address) {
                cc.push(extra.address.clone());
            }
        }
        let subject = match &parent {
            Some(p) => {
                let mut original = p.subject.as_str();
                for prefix in ["Re:", "Odp:", "Від:"] {
                    original = original
                        .strip_prefix(prefix)
                        .unwrap_or(original)
                        .trim_start();
                }
                format!("{} {}", language.reply_prefix(), original)
            }
            None if bulk => "Akce týdne: -30 % / Weekly deals".to_owned(),
            None => format!("{} ({})", rng.pick(language.subjects()), i % 97),
        };
        let message_id = format!(
            "<seed{}.{}.{:x}@{}>",
            spec.seed,
            i,
            rng.next() & 0xffff_ffff,
            if folder == "Sent" {
                owner_domain.as_str()
            } else {
                from.rsplit('@').next().unwrap_or("x.test")
            }
        );
        let references: Vec<String> = match &parent {
            Some(p) => vec![p.message_id.clone()],
            None => Vec::new(),
        };
        let has_attachment = !bulk && rng.chance(20);
        let html = !has_attachment && rng.chance(45);
        let body_text = format!("{}\n{}\n", rng.pick(language.bodies()), from_name);
        let when = Utc.timestamp_opt(date, 0).single().unwrap_or(spec.newest);
        let b64 = rng.chance(50);

        let mut m = String::new();
        m.push_str(&format!("Return-Path: <{from}>\r\n"));
        m.push_str(&format!("From: {}\r\n", mailbox(&from_name, &from, b64)));
        let to_header: Vec<String> = to
            .iter()
            .map(|a| {
                let name = if a.eq_ignore_ascii_case(&spec.owner) {
                    spec.owner_name.clone()
                } else {
                    people
                        .iter()
                        .find(|p| &p.address == a)
                        .map(|p| p.name.clone())
                        .unwrap_or_default()
                };
                mailbox(&name, a, b64)
            })
            .collect();
        m.push_str(&format!("To: {}\r\n", to_header.join(", ")));
        if !cc.is_empty() {
            let name = people
                .iter()
                .find(|p| p.address == cc[0])
                .map(|p| p.name.clone())
                .unwrap_or_default();
            m.push_str(&format!("Cc: {}\r\n", mailbox(&name, &cc[0], b64)));
        }
        m.push_str(&format!("Subject: {}\r\n", encode_word(&subject, b64)));
        m.push_str(&format!("Date: {}\r\n", when.to_rfc2822()));
        m.push_str(&format!("Message-ID: {message_id}\r\n"));
        if let Some(p) = &parent {
            m.push_str(&format!("In-Reply-To: {}\r\n", p.message_id));
            m.push_str(&format!("References: {}\r\n", references.join(" ")));
        }
        if bulk {
            m.push_str(&format!(
                "List-Unsubscribe: <mailto:unsubscribe@{}>\r\n",
                from.rsplit('@').next().unwrap_or("x")
            ));
            m.push_str("Precedence: bulk\r\n");
        }
        m.push_str("MIME-Version: 1.0\r\n");
        let boundary = format!("=_rapport_{}_{}", spec.seed, i);
        if has_attachment {
            let (name, kind, bytes) = attachment(&mut rng, language);
            m.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n"
            ));
            m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n", quoted_printable(&body_text)));
            m.push_str(&format!(
                "--{boundary}\r\nContent-Type: {kind}\r\nContent-Disposition: attachment; {}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
                rfc2231_filename(&name),
                base64_lines(&bytes)
            ));
        } else if html {
            let html_body = format!(
                "<html><body><p>{}</p><p><img src=\"https://tracker.example.com/pixel.gif\" alt=\"\"></p></body></html>",
                body_text.replace('\n', "<br>")
            );
            m.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
            ));
            m.push_str(&format!("--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{}\r\n", quoted_printable(&body_text)));
            m.push_str(&format!("--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n", base64_lines(html_body.as_bytes())));
        } else {
            m.push_str("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
            m.push_str(&quoted_printable(&body_text));
            m.push_str("\r\n");
        }
        let seen = folder == "Sent" || rng.chance(70);
        out.push((
            SeededMessage {
                message_id,
                folder: folder.to_owned(),
                from,
                to,
                cc,
                subject,
                date,
                has_attachment,
                in_reply_to: parent.map(|p| p.message_id),
                bulk,
                seen,
            },
            m.into_bytes(),
        ));
    }
    out
}

/// Changes the owner of a path to match `like` (Dovecot's mail user), when we can.
#[cfg(unix)]
fn chown_like(path: &Path, like: &std::fs::Metadata) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    match std::os::unix::fs::chown(path, Some(like.uid()), Some(like.gid())) {
        Ok(()) => Ok(()),
        // Not root and already the right user: nothing to change.
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(not(unix))]
fn chown_like(_path: &Path, _like: &std::fs::Metadata) -> io::Result<()> {
    Ok(())
}

/// Writes the messages of `spec` into a Maildir (INBOX in `cur/`, Sent in `.Sent/cur/`),
/// each file's mtime set to the message date so IMAP INTERNALDATE and SEARCH SINCE agree,
/// and everything owned like the Maildir's parent (the mail user). Returns the manifest.
pub fn write_maildir(maildir_root: &Path, spec: &SeedSpec) -> io::Result<SeedManifest> {
    let home = maildir_root.parent().unwrap_or(maildir_root);
    fs::create_dir_all(home)?;
    let owner = fs::metadata(home)?;
    let mut created = Vec::new();
    for folder in ["", ".Sent"] {
        for sub in ["cur", "new", "tmp"] {
            let dir = maildir_root.join(folder).join(sub);
            if !dir.exists() {
                fs::create_dir_all(&dir)?;
            }
            created.push(dir);
        }
    }
    created.push(maildir_root.to_path_buf());
    created.push(maildir_root.join(".Sent"));
    for dir in &created {
        chown_like(dir, &owner)?;
    }
    let mut manifest = SeedManifest::default();
    for (index, (message, bytes)) in generate(spec).into_iter().enumerate() {
        let folder = if message.folder == "Sent" {
            ".Sent"
        } else {
            ""
        };
        let flags = if message.seen { "S" } else { "" };
        let name = format!(
            "{}.R{}I{}.rapport-seed,S={}:2,{}",
            message.date,
            spec.seed,
            index,
            bytes.len(),
            flags
        );
        let path = maildir_root.join(folder).join("cur").join(name);
        let mut file = fs::File::create(&path)?;
        file.write_all(&bytes)?;
        let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(message.date.max(0) as u64);
        file.set_modified(mtime)?;
        drop(file);
        chown_like(&path, &owner)?;
        manifest.messages.push(message);
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(count: usize) -> SeedSpec {
        SeedSpec {
            owner: "alice@rapport.test".into(),
            owner_name: "Alice Example".into(),
            count,
            seed: 9,
            newest: Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap(),
            span_days: 90,
            sent_share_percent: 25,
        }
    }

    #[test]
    fn same_spec_gives_identical_bytes() {
        let a = generate(&spec(200));
        let b = generate(&spec(200));
        assert_eq!(a, b);
        let mut other = spec(200);
        other.seed = 10;
        assert_ne!(a, generate(&other));
    }

    #[test]
    fn messages_parse_back_with_their_people_and_ids() {
        let messages = generate(&spec(300));
        let ids: std::collections::HashSet<_> =
            messages.iter().map(|(m, _)| m.message_id.clone()).collect();
        assert_eq!(ids.len(), 300, "Message-IDs are unique");
        let mut correspondents = std::collections::HashSet::new();
        let mut domains = std::collections::HashSet::new();
        let (mut threads, mut attachments, mut html, mut non_ascii) = (0, 0, 0, 0);
        for (m, bytes) in &messages {
            let parsed = mail_parser::MessageParser::default()
                .parse(bytes)
                .expect("parses");
            assert_eq!(
                parsed.message_id().map(|s| format!("<{s}>")),
                Some(m.message_id.clone())
            );
            assert_eq!(
                parsed
                    .from()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address()),
                Some(m.from.as_str())
            );
            assert_eq!(parsed.subject(), Some(m.subject.as_str()));
            assert_eq!(parsed.date().map(|d| d.to_timestamp()), Some(m.date));
            if let Some(parent) = &m.in_reply_to {
                assert!(ids.contains(parent), "replies reference existing messages");
                threads += 1;
            }
            if m.has_attachment {
                assert_eq!(parsed.attachment_count(), 1);
                attachments += 1;
            }
            html += (parsed.html_body_count() > 0
                && parsed.text_body_count() > 0
                && !m.has_attachment) as usize;
            non_ascii += (!m.subject.is_ascii()) as usize;
            for a in std::iter::once(&m.from).chain(&m.to).chain(&m.cc) {
                correspondents.insert(a.clone());
                domains.insert(a.rsplit('@').next().unwrap().to_owned());
            }
        }
        assert!(threads > 30, "{threads}");
        assert!(attachments > 20, "{attachments}");
        assert!(html > 20, "{html}");
        assert!(non_ascii > 50, "{non_ascii}");
        assert!(correspondents.len() > 150, "{}", correspondents.len());
        assert!(domains.len() > 60, "{}", domains.len());
    }

    #[test]
    fn writes_a_maildir_with_dates_as_mtimes() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("user").join("Maildir");
        let manifest = write_maildir(&root, &spec(50)).unwrap();
        let inbox = fs::read_dir(root.join("cur")).unwrap().count();
        let sent = fs::read_dir(root.join(".Sent/cur")).unwrap().count();
        assert_eq!(inbox + sent, 50);
        assert_eq!(
            sent,
            manifest
                .messages
                .iter()
                .filter(|m| m.folder == "Sent")
                .count()
        );
        let first = fs::read_dir(root.join("cur"))
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        let mtime = first.metadata().unwrap().modified().unwrap();
        let secs = mtime
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        assert!(manifest.messages.iter().any(|m| m.date == secs));
    }
}
