//! Templates: `{Contact.name}`, `{Contact.firstName}`, `{Company.name}`, `{Me.name}`,
//! `{today}` and `{now}` filled from the CRM. A placeholder without a value stays in the
//! text and is reported, so the form can flag it before anything is sent.

use serde::Serialize;

use crate::store::{Result, Store};

pub const PLACEHOLDERS: &[&str] = &[
    "Contact.name",
    "Contact.firstName",
    "Company.name",
    "Me.name",
    "today",
    "now",
];

/// What the placeholders stand for, for one recipient and one sending account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateValues {
    pub contact_name: Option<String>,
    pub company_name: Option<String>,
    pub me_name: Option<String>,
    /// Already formatted in the user's language by the caller.
    pub today: String,
    pub now: String,
}

impl TemplateValues {
    fn value(&self, placeholder: &str) -> Option<String> {
        let nonempty = |v: &Option<String>| v.clone().filter(|v| !v.trim().is_empty());
        match placeholder {
            "Contact.name" => nonempty(&self.contact_name),
            "Contact.firstName" => nonempty(&self.contact_name)
                .and_then(|n| n.split_whitespace().next().map(str::to_owned)),
            "Company.name" => nonempty(&self.company_name),
            "Me.name" => nonempty(&self.me_name),
            "today" => Some(self.today.clone()),
            "now" => Some(self.now.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Filled {
    pub text: String,
    /// Known placeholders without a value here, each once, in order of appearance.
    pub missing: Vec<String>,
}

/// Fills every known placeholder of `text`. `escape` is applied to values (HTML bodies
/// need `&`, `<` escaped; subjects do not).
pub fn fill(text: &str, values: &TemplateValues, escape: bool) -> Filled {
    let mut out = String::with_capacity(text.len());
    let mut missing: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.find('}').map(|close| &after[..close]);
        match name.filter(|n| PLACEHOLDERS.contains(n)) {
            Some(name) => {
                match values.value(name) {
                    Some(value) if escape => out.push_str(
                        &value
                            .replace('&', "&amp;")
                            .replace('<', "&lt;")
                            .replace('>', "&gt;"),
                    ),
                    Some(value) => out.push_str(&value),
                    None => {
                        out.push_str(&rest[open..open + name.len() + 2]);
                        if !missing.iter().any(|m| m == name) {
                            missing.push(name.to_owned());
                        }
                    }
                }
                rest = &after[name.len() + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Filled { text: out, missing }
}

/// Placeholders still in `text` (the form checks the body before sending).
pub fn unfilled(text: &str) -> Vec<String> {
    fill(
        text,
        &TemplateValues {
            today: String::new(),
            now: String::new(),
            ..TemplateValues::default()
        },
        false,
    )
    .missing
    .into_iter()
    .filter(|p| p != "today" && p != "now")
    .collect()
}

/// The values for a message from `account_id` to `recipient` (the contact owning that
/// address, if any, and its company).
pub async fn values_for(
    store: &Store,
    account_id: i64,
    recipient: Option<&str>,
    today: String,
    now: String,
) -> Result<TemplateValues> {
    let account = store.account(account_id).await?;
    let mut values = TemplateValues {
        me_name: Some(account.sender_name.clone()),
        today,
        now,
        ..TemplateValues::default()
    };
    let address = recipient.and_then(|r| {
        let bare = r
            .rsplit('<')
            .next()
            .unwrap_or(r)
            .trim_end_matches('>')
            .trim();
        crate::crm::normalize_address(bare)
    });
    if let Some(address) = address {
        if let Some(contact_id) = store.contact_id_for(&address).await? {
            let contact = store.contact(contact_id).await?;
            let name = contact.summary.display_name.trim();
            // A contact named after its address has no name worth writing in a greeting.
            if !name.is_empty() && !name.contains('@') {
                values.contact_name = Some(name.to_owned());
            }
            values.company_name = contact.summary.company_name.clone();
        }
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> TemplateValues {
        TemplateValues {
            contact_name: Some("Jana Nováková".into()),
            company_name: None,
            me_name: Some("Alice <Sales>".into()),
            today: "23. 11. 2026".into(),
            now: "23. 11. 2026 9:00".into(),
        }
    }

    #[test]
    fn known_placeholders_are_filled_and_missing_ones_reported() {
        let filled = fill(
            "Dear {Contact.firstName}, {Company.name} {Company.name} {Unknown} {today} – {Me.name}",
            &values(),
            true,
        );
        assert_eq!(
            filled.text,
            "Dear Jana, {Company.name} {Company.name} {Unknown} 23. 11. 2026 – Alice &lt;Sales&gt;"
        );
        assert_eq!(filled.missing, vec!["Company.name"]);
        assert_eq!(unfilled(&filled.text), vec!["Company.name"]);
    }

    #[test]
    fn braces_that_are_not_placeholders_stay() {
        let filled = fill("a { b } {Contact.name", &values(), false);
        assert_eq!(filled.text, "a { b } {Contact.name");
        assert!(filled.missing.is_empty());
    }
}
