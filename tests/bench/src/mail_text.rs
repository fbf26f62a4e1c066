//! Message bodies for the generated store, shaped so full-text search meets what it meets
//! in a real mailbox: a greeting, a handful of business sentences in the message's
//! language (Czech, Polish, Ukrainian, English), a sign-off, and, in replies, the quoted
//! text of an earlier message. Some sentences name a project, product or document code
//! drawn from a long tail of made-up words (a Zipf law over 200,000), so the index has
//! very common words ("prosím", "please"), everyday ones, and words found in a handful
//! of messages, like project names.

use crate::util::Rng;

/// Made-up words in the long tail; word `r` is drawn with weight 1/(r + TAIL_SHIFT).
pub const TAIL_WORDS: usize = 200_000;
const TAIL_SHIFT: f64 = 100.0;

const SYLLABLES: [&str; 16] = [
    "ka", "lo", "mi", "ra", "te", "vo", "zu", "pe", "ni", "sa", "do", "be", "ru", "fi", "go", "le",
];

/// The tail word of rank `rank`: five syllables, one word per rank.
pub fn tail_word(rank: usize) -> String {
    let mut word = String::with_capacity(10);
    let mut n = rank;
    for _ in 0..5 {
        word.push_str(SYLLABLES[n % 16]);
        n /= 16;
    }
    word
}

struct Language {
    greetings: &'static [&'static str],
    sentences: &'static [&'static str],
    sign_offs: &'static [&'static str],
    /// How a quoted earlier message is introduced.
    wrote: &'static str,
}

// `{}` in a sentence is a tail word (a project, product or document code).
const CZECH: Language = Language {
    greetings: &["Dobrý den,", "Ahoj,", "Vážený pane,", "Vážená paní,"],
    sentences: &[
        "posílám slíbené podklady k projektu {}.",
        "dejte prosím vědět, zda vám termín vyhovuje.",
        "děkujeme za objednávku, zboží expedujeme ve čtvrtek.",
        "v příloze najdete fakturu za služby v měsíci říjnu.",
        "můžeme se prosím sejít příští týden a probrat nabídku {}?",
        "cenová nabídka platí do konce měsíce.",
        "smlouvu jsme podepsali a zasíláme ji zpět poštou.",
        "prosím o potvrzení přijetí objednávky {}.",
        "dodávka se bohužel zpozdí o několik dní.",
        "na schůzce jsme se dohodli na dalším postupu.",
        "pošlete prosím aktualizovaný rozpočet pro {}.",
        "technické parametry najdete v dokumentaci.",
        "omlouvám se za pozdní odpověď, byl jsem na dovolené.",
        "faktura {} je splatná do čtrnácti dnů.",
        "rádi bychom rozšířili spolupráci i na příští rok.",
        "kolega vám zavolá ohledně instalace.",
    ],
    sign_offs: &[
        "S pozdravem",
        "Děkuji a přeji hezký den",
        "S přátelským pozdravem",
    ],
    wrote: "napsal(a):",
};

const POLISH: Language = Language {
    greetings: &[
        "Dzień dobry,",
        "Witam,",
        "Szanowny Panie,",
        "Szanowna Pani,",
    ],
    sentences: &[
        "w załączeniu przesyłam ofertę dotyczącą projektu {}.",
        "proszę o informację zwrotną do piątku.",
        "dziękujemy za zamówienie, wysyłka nastąpi w czwartek.",
        "faktura {} została wystawiona i wysłana pocztą.",
        "czy możemy umówić spotkanie w przyszłym tygodniu?",
        "cena obejmuje transport i montaż.",
        "umowa {} czeka na podpis zarządu.",
        "niestety dostawa opóźni się o kilka dni.",
        "przesyłam protokół ze spotkania.",
        "prosimy o potwierdzenie terminu płatności.",
        "specyfikacja techniczna jest w dokumentacji {}.",
        "przepraszam za późną odpowiedź.",
        "chcielibyśmy rozszerzyć współpracę w przyszłym roku.",
        "nasz handlowiec skontaktuje się z Panem telefonicznie.",
    ],
    sign_offs: &["Pozdrawiam serdecznie", "Z poważaniem", "Pozdrawiam"],
    wrote: "napisał(a):",
};

const UKRAINIAN: Language = Language {
    greetings: &["Добрий день,", "Вітаю,", "Шановний пане,", "Шановна пані,"],
    sentences: &[
        "надсилаю обіцяні матеріали щодо проєкту {}.",
        "повідомте, будь ласка, чи підходить вам термін.",
        "дякуємо за замовлення, відправимо у четвер.",
        "рахунок {} додано до листа.",
        "чи можемо зустрітися наступного тижня?",
        "ціна включає доставку та встановлення.",
        "договір {} підписано, оригінал надішлемо поштою.",
        "на жаль, поставка затримується на кілька днів.",
        "прошу підтвердити отримання замовлення.",
        "технічні характеристики є в документації.",
        "вибачте за пізню відповідь.",
        "хотіли б продовжити співпрацю наступного року.",
    ],
    sign_offs: &["З повагою", "Гарного дня", "Дякую"],
    wrote: "написав(ла):",
};

const ENGLISH: Language = Language {
    greetings: &["Hello,", "Hi,", "Dear Sir or Madam,", "Good morning,"],
    sentences: &[
        "please find the documents we discussed for project {}.",
        "let me know if the date works for you.",
        "thanks for the order, we ship on Thursday.",
        "the invoice {} is attached and due in fourteen days.",
        "could we meet next week to go through the proposal?",
        "the quoted price includes delivery and installation.",
        "we signed the contract {} and are posting it back.",
        "unfortunately the delivery is delayed by a few days.",
        "please confirm that you received the purchase order.",
        "the technical details are in the {} specification.",
        "sorry for the late reply, I was travelling.",
        "we would like to extend our cooperation into next year.",
        "my colleague will call you about the installation.",
        "the meeting notes are below.",
        "please send the updated budget for {} by Friday.",
    ],
    sign_offs: &["Best regards", "Kind regards", "Thanks"],
    wrote: "wrote:",
};

const LANGUAGES: [&Language; 4] = [&CZECH, &POLISH, &UKRAINIAN, &ENGLISH];

/// Draws tail words.
pub struct TailWords {
    cdf: Vec<f64>,
}

impl TailWords {
    pub fn new() -> TailWords {
        let mut acc = 0.0;
        let cdf = (0..TAIL_WORDS)
            .map(|r| {
                acc += 1.0 / (r as f64 + TAIL_SHIFT);
                acc
            })
            .collect();
        TailWords { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = self.cdf.last().copied().unwrap_or(0.0);
        let u = rng.unit() * total;
        self.cdf.partition_point(|&c| c <= u).min(TAIL_WORDS - 1)
    }
}

/// A body of one message; `quoted` is an earlier body this one answers.
pub fn body(rng: &mut Rng, tail: &TailWords, signer: &str, quoted: Option<(&str, &str)>) -> String {
    let language = LANGUAGES[rng.below(LANGUAGES.len())];
    let mut text = String::with_capacity(600);
    let greeting = *rng.pick(language.greetings);
    text.push_str(greeting);
    text.push_str("\n\n");
    for i in 0..2 + rng.below(6) {
        let sentence = *rng.pick(language.sentences);
        if sentence.contains("{}") {
            let rank = tail.sample(rng);
            text.push_str(&sentence.replace("{}", &capitalized(&tail_word(rank))));
        } else {
            text.push_str(sentence);
        }
        text.push(if i % 3 == 2 { '\n' } else { ' ' });
    }
    text.push_str("\n\n");
    let sign_off = *rng.pick(language.sign_offs);
    text.push_str(sign_off);
    text.push('\n');
    text.push_str(signer);
    text.push('\n');
    if let Some((who, earlier)) = quoted {
        text.push_str(&format!("\n{who} {}\n", language.wrote));
        for line in earlier.lines().take(12) {
            text.push_str("> ");
            text.push_str(line);
            text.push('\n');
        }
    }
    text
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The list snippet the sync writer would store: the start of the body on one line.
pub fn snippet(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(140).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_words_are_distinct() {
        let words: std::collections::HashSet<String> = (0..4096).map(tail_word).collect();
        assert_eq!(words.len(), 4096);
    }
}
