//! Senders whose mail may load remote images without asking: the reader's "Always for
//! this sender". Keyed by the normalised From address.

use super::{now, Result, Store, StoreError};
use crate::crm::normalize_address;

fn sender_key(address: &str) -> Result<String> {
    normalize_address(address).ok_or_else(|| StoreError::Invalid {
        field: "address",
        message: format!("“{address}” is not an email address."),
    })
}

impl Store {
    /// From now on, mail from `address` shows its remote images at once.
    pub async fn allow_remote_images(&self, address: &str) -> Result<()> {
        sqlx::query(
            "INSERT OR IGNORE INTO remote_image_sender (address, created_at) VALUES (?, ?)",
        )
        .bind(sender_key(address)?)
        .bind(now())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Mail from `address` asks again before loading remote images.
    pub async fn block_remote_images(&self, address: &str) -> Result<()> {
        sqlx::query("DELETE FROM remote_image_sender WHERE address = ?")
            .bind(sender_key(address)?)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn remote_images_allowed(&self, address: &str) -> Result<bool> {
        let Some(key) = normalize_address(address) else {
            return Ok(false);
        };
        Ok(
            sqlx::query_scalar::<_, i64>("SELECT 1 FROM remote_image_sender WHERE address = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?
                .is_some(),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{test_support::temp_store, StoreError};

    #[tokio::test]
    async fn a_sender_is_allowed_by_normalised_address_until_blocked_again() {
        let (store, _dir) = temp_store().await;
        assert!(!store.remote_images_allowed("news@shop.test").await.unwrap());
        store.allow_remote_images(" News@Shop.TEST ").await.unwrap();
        store.allow_remote_images("news@shop.test").await.unwrap();
        assert!(store.remote_images_allowed("news@shop.test").await.unwrap());
        assert!(!store
            .remote_images_allowed("other@shop.test")
            .await
            .unwrap());
        store.block_remote_images("NEWS@shop.test").await.unwrap();
        assert!(!store.remote_images_allowed("news@shop.test").await.unwrap());
        assert!(matches!(
            store.allow_remote_images("not an address").await,
            Err(StoreError::Invalid {
                field: "address",
                ..
            })
        ));
        assert!(!store.remote_images_allowed("").await.unwrap());
    }
}
