//! Uploaded images, stored in the database so that every API instance can serve them.

use super::Store;
use super::StoreError;
use crate::util::now_ms;
use sqlx::Row;
use wire::{AttachmentId, AttachmentView};

/// An image that passed the checks, about to be stored.
#[derive(Debug, Clone)]
pub struct NewAttachment {
    /// Who uploaded it: only they may attach it to a message.
    pub owner: super::AuthorKey,
    /// The sniffed type.
    pub content_type: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The uploader's file name, cleaned for display.
    pub file_name: String,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The unguessable key of its URL.
    pub file_key: String,
}

/// An image to send back.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The sniffed type.
    pub content_type: String,
    /// The display name.
    pub file_name: String,
    /// Hex SHA-256 (the ETag).
    pub sha256: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Store {
    /// Stores an image.
    pub async fn store_attachment(&self, a: NewAttachment) -> Result<AttachmentView, StoreError> {
        let size = a.bytes.len();
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO attachments (file_key, owner, content_type, size, width, height, sha256, file_name, bytes, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(&a.file_key)
        .bind(a.owner.stored())
        .bind(a.content_type)
        .bind(i64::try_from(size).unwrap_or(i64::MAX))
        .bind(i64::from(a.width))
        .bind(i64::from(a.height))
        .bind(&a.sha256)
        .bind(&a.file_name)
        .bind(a.bytes)
        .bind(now_ms())
        .fetch_one(&mut tx.inner)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(AttachmentView {
            id: AttachmentId(id),
            content_type: a.content_type.to_owned(),
            size: size as u64,
            width: a.width,
            height: a.height,
            file_name: a.file_name,
            url: format!("/api/files/{}", a.file_key),
        })
    }

    /// Deletes images uploaded before `before` that no message refers to (uploads never
    /// sent); how many.
    pub async fn sweep_unsent_uploads(&self, before: i64) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "DELETE FROM attachments WHERE created_at < $1 \
             AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.attachment_id = attachments.id)",
        )
        .bind(before)
        .execute(&mut tx.inner)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }

    /// An image by its URL key.
    pub async fn file(&self, key: &str) -> Result<Option<StoredFile>, StoreError> {
        let row = sqlx::query(
            "SELECT content_type, file_name, sha256, bytes FROM attachments WHERE file_key = $1",
        )
        .bind(key)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(StoredFile {
                content_type: r.try_get("content_type")?,
                file_name: r.try_get("file_name")?,
                sha256: r.try_get("sha256")?,
                bytes: r.try_get("bytes")?,
            })
        })
        .transpose()
    }
}
