//! Contacts in and out: vCard (RFC 6350, read also in the older 3.0 form) and CSV.
//! Importing matches people by any of their addresses, so importing the same file
//! twice creates nothing twice.

use std::path::Path;

use serde::Serialize;

use crate::{
    crm::normalize_address,
    store::{ContactFilter, ContactUpdate, Store, StoreError},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Vcard,
    Csv,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub created: u64,
    pub updated: u64,
    /// Entries without a usable email address.
    pub skipped: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AddressBookError {
    #[error("the file could not be read or written: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file is not a valid {format}: {detail}")]
    Format {
        format: &'static str,
        detail: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One person as files carry them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Entry {
    name: String,
    emails: Vec<String>,
    stage: Option<String>,
    tags: Vec<String>,
    notes: String,
}

const CSV_HEADER: [&str; 6] = ["name", "email", "other_emails", "company", "stage", "tags"];

pub async fn export(store: &Store, format: Format, path: &Path) -> Result<usize, AddressBookError> {
    let contacts = store
        .list_contacts(&ContactFilter {
            limit: Some(10_000),
            ..ContactFilter::default()
        })
        .await?;
    let mut out = String::new();
    let mut writer = csv::Writer::from_writer(Vec::new());
    if format == Format::Csv {
        let mut header = CSV_HEADER.to_vec();
        header.push("notes");
        writer.write_record(&header).map_err(csv_error)?;
    }
    for summary in &contacts {
        let details = store.contact(summary.id).await?;
        match format {
            Format::Vcard => {
                let mut card = vcard4::VcardBuilder::new(details.summary.display_name.clone());
                for email in &details.emails {
                    card = card.email(email.clone());
                }
                if let Some(company) = &details.summary.company_name {
                    card = card.org(vec![company.clone()]);
                }
                let mut categories = details.summary.tags.clone();
                if details.summary.stage != "contact" {
                    categories.insert(0, format!("stage:{}", details.summary.stage));
                }
                if !categories.is_empty() {
                    card = card.categories(categories);
                }
                if !details.notes.is_empty() {
                    card = card.note(details.notes.clone());
                }
                out.push_str(&card.finish().to_string());
            }
            Format::Csv => {
                let others = details
                    .emails
                    .iter()
                    .skip(1)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(";");
                writer
                    .write_record([
                        details.summary.display_name.as_str(),
                        details.emails.first().map(String::as_str).unwrap_or(""),
                        others.as_str(),
                        details.summary.company_name.as_deref().unwrap_or(""),
                        details.summary.stage.as_str(),
                        details.summary.tags.join(";").as_str(),
                        details.notes.as_str(),
                    ])
                    .map_err(csv_error)?;
            }
        }
    }
    let bytes = match format {
        Format::Vcard => out.into_bytes(),
        Format::Csv => writer
            .into_inner()
            .map_err(|e| csv_error(e.into_error().into()))?,
    };
    tokio::fs::write(path, bytes).await?;
    Ok(contacts.len())
}

fn csv_error(e: csv::Error) -> AddressBookError {
    AddressBookError::Format {
        format: "CSV file",
        detail: e.to_string(),
    }
}

fn parse_vcards(text: &str) -> Result<Vec<Entry>, AddressBookError> {
    let cards = vcard4::parse_loose(text).map_err(|e| AddressBookError::Format {
        format: "vCard file",
        detail: e.to_string(),
    })?;
    Ok(cards
        .into_iter()
        .map(|card| {
            let mut stage = None;
            let mut tags = Vec::new();
            for category in card.categories.iter().flat_map(|c| c.value.iter()) {
                match category.strip_prefix("stage:") {
                    Some(s) => stage = Some(s.to_owned()),
                    None => tags.push(category.clone()),
                }
            }
            Entry {
                name: card
                    .formatted_name
                    .first()
                    .map(|n| n.value.clone())
                    .unwrap_or_default(),
                emails: card.email.iter().map(|e| e.value.clone()).collect(),
                stage,
                tags,
                notes: card
                    .note
                    .iter()
                    .map(|n| n.value.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            }
        })
        .collect())
}

fn parse_csv(text: &str) -> Result<Vec<Entry>, AddressBookError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(csv_error)?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let column = |names: &[&str]| header.iter().position(|h| names.contains(&h.as_str()));
    let name = column(&["name", "full name", "display name", "jméno", "imię", "ім'я"]);
    let email =
        column(&["email", "e-mail", "email address", "e-mail address"]).ok_or_else(|| {
            AddressBookError::Format {
                format: "CSV file",
                detail: "it needs an \"email\" column".into(),
            }
        })?;
    let others = column(&["other_emails", "other emails"]);
    let stage = column(&["stage"]);
    let tags = column(&["tags", "categories"]);
    let notes = column(&["notes", "note"]);
    let mut entries = Vec::new();
    for record in reader.records() {
        let record = record.map_err(csv_error)?;
        let get = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_owned();
        let mut emails = vec![get(Some(email))];
        emails.extend(
            get(others)
                .split(';')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
        );
        entries.push(Entry {
            name: get(name),
            emails,
            stage: Some(get(stage)).filter(|s| !s.is_empty()),
            tags: get(tags)
                .split(';')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            notes: get(notes),
        });
    }
    Ok(entries)
}

pub async fn import(
    store: &Store,
    format: Format,
    path: &Path,
) -> Result<ImportReport, AddressBookError> {
    let text = tokio::fs::read_to_string(path).await?;
    let entries = match format {
        Format::Vcard => parse_vcards(&text)?,
        Format::Csv => parse_csv(&text)?,
    };
    let mut report = ImportReport::default();
    for entry in entries {
        let emails: Vec<String> = entry
            .emails
            .iter()
            .filter_map(|e| normalize_address(e))
            .collect();
        let Some(first) = emails.first() else {
            report.skipped += 1;
            continue;
        };
        let mut existing = None;
        for email in &emails {
            if let Some(id) = store.contact_id_for(email).await? {
                existing = Some(id);
                break;
            }
        }
        let (id, created) = match existing {
            Some(id) => (id, false),
            None => match store
                .create_contact(
                    first,
                    Some(&entry.name)
                        .filter(|n| !n.is_empty())
                        .map(String::as_str),
                )
                .await
            {
                Ok(id) => (id, true),
                // One of my own addresses, for instance: nothing to import.
                Err(StoreError::Invalid { .. }) => {
                    report.skipped += 1;
                    continue;
                }
                Err(e) => return Err(e.into()),
            },
        };
        for email in &emails {
            match store.add_contact_address(id, email).await {
                Ok(()) | Err(StoreError::Invalid { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let details = store.contact(id).await?;
        let mut tags = details.summary.tags.clone();
        for tag in entry.tags {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let notes = match (details.notes.is_empty(), entry.notes.is_empty()) {
            (_, true) => details.notes.clone(),
            (true, false) => entry.notes.clone(),
            (false, false) if details.notes.contains(&entry.notes) => details.notes.clone(),
            (false, false) => format!("{}\n\n{}", details.notes, entry.notes),
        };
        let name = if created || entry.name.is_empty() {
            details.summary.display_name.clone()
        } else {
            entry.name.clone()
        };
        store
            .update_contact(
                id,
                &ContactUpdate {
                    display_name: name,
                    stage: entry.stage.unwrap_or(details.summary.stage),
                    tags,
                    notes,
                    follow_up_at: details.follow_up_at,
                },
            )
            .await?;
        if created {
            report.created += 1;
        } else {
            report.updated += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcard_3_and_4_are_read() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Jiří Dvořák\r\nEMAIL;TYPE=work:jiri@acme.cz\r\nEMAIL:jiri@gmail.com\r\nCATEGORIES:stage:customer,vip\r\nNOTE:Met at the fair\r\nEND:VCARD\r\n";
        let entries = parse_vcards(text).unwrap();
        assert_eq!(entries[0].name, "Jiří Dvořák");
        assert_eq!(entries[0].emails, vec!["jiri@acme.cz", "jiri@gmail.com"]);
        assert_eq!(entries[0].stage.as_deref(), Some("customer"));
        assert_eq!(entries[0].tags, vec!["vip"]);
        assert_eq!(entries[0].notes, "Met at the fair");
    }

    #[test]
    fn csv_needs_an_email_column_and_reads_common_headers() {
        let entries = parse_csv("Name,E-mail,Tags\nOlena,olena@x.ua,a;b\n").unwrap();
        assert_eq!(entries[0].emails, vec!["olena@x.ua"]);
        assert_eq!(entries[0].tags, vec!["a", "b"]);
        assert!(parse_csv("Name,Phone\nX,1\n").is_err());
    }
}
