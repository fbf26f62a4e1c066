//! The people of one message for the reader's person panel: everyone in From, To and
//! Cc except the user's own addresses, each with their contact's card summary when the
//! address belongs to a contact.

use serde::Serialize;

use super::{ContactSummary, Result, Store, StoreError};

/// Someone in a message, with their card summary if they are a contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagePerson {
    pub name: String,
    pub address: String,
    /// Where they appear: "from", "to", "cc", in that order.
    pub roles: Vec<String>,
    pub contact: Option<ContactSummary>,
}

impl Store {
    pub async fn message_people(&self, message_id: i64) -> Result<Vec<MessagePerson>> {
        let rows: Vec<(String, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT p.role, p.display_name, p.address, p.contact_id FROM participant p \
             WHERE p.message_id = ?1 AND p.role IN ('from', 'to', 'cc') \
             AND p.address NOT IN (SELECT email FROM account UNION SELECT address FROM account_alias) \
             ORDER BY CASE p.role WHEN 'from' THEN 0 WHEN 'to' THEN 1 ELSE 2 END, p.position",
        )
        .bind(message_id)
        .fetch_all(&self.pool)
        .await?;
        if rows.is_empty() {
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM message WHERE id = ?")
                .bind(message_id)
                .fetch_optional(&self.pool)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound(format!("message {message_id}")));
            }
        }

        let mut people: Vec<MessagePerson> = Vec::new();
        let mut contact_ids: Vec<Option<i64>> = Vec::new();
        for (role, name, address, contact_id) in rows {
            if let Some(known) = people.iter_mut().find(|p| p.address == address) {
                if !known.roles.contains(&role) {
                    known.roles.push(role);
                }
                if known.name.is_empty() {
                    known.name = name;
                }
                continue;
            }
            people.push(MessagePerson {
                name,
                address,
                roles: vec![role],
                contact: None,
            });
            contact_ids.push(contact_id);
        }
        for (person, contact_id) in people.iter_mut().zip(contact_ids) {
            let Some(id) = contact_id else { continue };
            match self.contact(id).await {
                Ok(details) => person.contact = Some(details.summary),
                // Deleted since the message was linked: shown as an address again.
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(people)
    }
}

#[cfg(test)]
mod tests {
    use crate::{
        crm::ContactPolicy,
        mime::parse,
        store::{
            test_support::{account_with_folders, temp_store},
            BatchContext, FetchedMessage, KeepPolicy, MessageFlags, StoreError,
        },
    };

    #[tokio::test]
    async fn people_are_from_to_cc_without_me_with_card_summaries() {
        let (store, _dir) = temp_store().await;
        let (account, inbox, _) =
            account_with_folders(&store, "alice@rapport.test", ContactPolicy::None).await;
        let jan = store
            .create_contact("jan@firma.cz", Some("Jan Novák"))
            .await
            .unwrap();
        let raw = "From: Jan <jan@firma.cz>\r\nTo: alice@rapport.test, Petr <petr@firma.cz>\r\n\
            Cc: jan@firma.cz, eva@x.cz\r\nReply-To: sales@firma.cz\r\nSubject: Offer\r\n\
            Message-ID: <p1@rapport.test>\r\nDate: 02 Nov 2026 10:00:00 +0000\r\n\r\nHi\r\n";
        let record = store.account(account).await.unwrap();
        let ctx = BatchContext {
            account_id: account,
            folder_id: inbox,
            uidvalidity: 1,
            identity: store.account_identity(&record).await.unwrap(),
            ignore: store.ignore_rules().await.unwrap(),
            keep: KeepPolicy::All,
        };
        store
            .store_batch(
                &ctx,
                &[FetchedMessage {
                    uid: 1,
                    flags: MessageFlags::default(),
                    modseq: None,
                    parsed: parse(raw.as_bytes(), None),
                }],
            )
            .await
            .unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM message")
            .fetch_one(store.pool())
            .await
            .unwrap();

        let people = store.message_people(id).await.unwrap();
        let summary: Vec<(&str, Vec<&str>, Option<i64>)> = people
            .iter()
            .map(|p| {
                (
                    p.address.as_str(),
                    p.roles.iter().map(String::as_str).collect(),
                    p.contact.as_ref().map(|c| c.id),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("jan@firma.cz", vec!["from", "cc"], Some(jan)),
                ("petr@firma.cz", vec!["to"], None),
                ("eva@x.cz", vec!["cc"], None),
            ]
        );
        let card = people[0].contact.as_ref().unwrap();
        assert_eq!(card.display_name, "Jan Novák");
        assert_eq!(card.received_count, 1);
        assert_eq!(people[1].name, "Petr");

        // Made a contact from the panel: the next read shows the card.
        let petr = store
            .create_contact("petr@firma.cz", Some("Petr"))
            .await
            .unwrap();
        let people = store.message_people(id).await.unwrap();
        assert_eq!(people[1].contact.as_ref().map(|c| c.id), Some(petr));
        assert!(matches!(
            store.message_people(9999).await,
            Err(StoreError::NotFound(_))
        ));
    }
}
