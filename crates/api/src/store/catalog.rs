//! What agents choose from: standard responses, disposition codes, Not Ready reasons.

use super::Store;
use super::StoreError;
use sqlx::Row;
use wire::api::ResponseTree;
use wire::{
    CategoryId, CategoryView, Disposition, DispositionCode, NotReadyReason, ReasonCode, ResponseId,
    StandardResponse,
};

impl Store {
    /// The standard responses tree.
    pub async fn responses(&self) -> Result<ResponseTree, StoreError> {
        let cats = sqlx::query("SELECT id, parent_id, name FROM response_categories ORDER BY name")
            .fetch_all(self.pool())
            .await?;
        let categories = cats
            .iter()
            .map(|r| {
                Ok(CategoryView {
                    id: CategoryId(r.try_get("id")?),
                    parent_id: r.try_get::<Option<i64>, _>("parent_id")?.map(CategoryId),
                    name: r.try_get("name")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        let resp = sqlx::query(
            "SELECT id, category_id, title, body FROM standard_responses ORDER BY title",
        )
        .fetch_all(self.pool())
        .await?;
        let responses = resp
            .iter()
            .map(|r| {
                Ok(StandardResponse {
                    id: ResponseId(r.try_get("id")?),
                    category_id: CategoryId(r.try_get("category_id")?),
                    title: r.try_get("title")?,
                    body: r.try_get("body")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(ResponseTree {
            categories,
            responses,
        })
    }

    /// Adds a category (seeding).
    pub async fn add_category(
        &self,
        parent: Option<CategoryId>,
        name: &str,
    ) -> Result<CategoryId, StoreError> {
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query(
            "INSERT INTO response_categories (parent_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(parent.map(|p| p.0))
        .bind(name)
        .fetch_one(&mut tx.inner)
        .await?
        .try_get("id")?;
        tx.commit().await?;
        Ok(CategoryId(id))
    }

    /// Adds a standard response (seeding).
    pub async fn add_response(
        &self,
        category: CategoryId,
        title: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO standard_responses (category_id, title, body) VALUES ($1, $2, $3)",
        )
        .bind(category.0)
        .bind(title)
        .bind(body)
        .execute(&mut tx.inner)
        .await?;
        tx.commit().await
    }

    /// Whether any disposition code or Not Ready reason exists, retired ones included.
    pub async fn has_codes(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query(
            "SELECT code FROM dispositions UNION ALL SELECT code FROM not_ready_reasons LIMIT 1",
        )
        .fetch_optional(self.pool())
        .await?
        .is_some())
    }

    /// Disposition codes agents may choose (retired ones left out), in order.
    pub async fn dispositions(&self) -> Result<Vec<Disposition>, StoreError> {
        let rows =
            sqlx::query("SELECT code, label FROM dispositions WHERE active = 1 ORDER BY position")
                .fetch_all(self.pool())
                .await?;
        rows.iter()
            .map(|r| {
                Ok(Disposition {
                    code: DispositionCode(r.try_get("code")?),
                    label: r.try_get("label")?,
                })
            })
            .collect()
    }

    /// Not Ready reasons agents may choose (retired ones left out), in order.
    pub async fn not_ready_reasons(&self) -> Result<Vec<NotReadyReason>, StoreError> {
        let rows = sqlx::query(
            "SELECT code, label FROM not_ready_reasons WHERE active = 1 ORDER BY position",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(NotReadyReason {
                    code: ReasonCode(r.try_get("code")?),
                    label: r.try_get("label")?,
                })
            })
            .collect()
    }

    /// Whether a disposition code exists and is not retired.
    pub async fn disposition_exists(&self, code: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT code FROM dispositions WHERE code = $1 AND active = 1")
                .bind(code)
                .fetch_optional(self.pool())
                .await?
                .is_some(),
        )
    }

    /// Whether any disposition codes are configured (and not retired).
    pub async fn has_dispositions(&self) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT code FROM dispositions WHERE active = 1 LIMIT 1")
                .fetch_optional(self.pool())
                .await?
                .is_some(),
        )
    }

    /// Sets the disposition codes and Not Ready reasons (seeding and first start).
    pub async fn set_codes(
        &self,
        dispositions: &[(&str, &str)],
        reasons: &[(&str, &str)],
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        for (i, (code, label)) in dispositions.iter().enumerate() {
            sqlx::query("INSERT INTO dispositions (code, label, position) VALUES ($1, $2, $3) ON CONFLICT (code) DO UPDATE SET label = excluded.label")
                .bind(*code)
                .bind(*label)
                .bind(i64::try_from(i).unwrap_or(0))
                .execute(&mut tx.inner)
                .await?;
        }
        for (i, (code, label)) in reasons.iter().enumerate() {
            sqlx::query("INSERT INTO not_ready_reasons (code, label, position) VALUES ($1, $2, $3) ON CONFLICT (code) DO UPDATE SET label = excluded.label")
                .bind(*code)
                .bind(*label)
                .bind(i64::try_from(i).unwrap_or(0))
                .execute(&mut tx.inner)
                .await?;
        }
        tx.commit().await
    }

    /// Whether the database has no agents yet (a first start).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(sqlx::query("SELECT id FROM agents LIMIT 1")
            .fetch_optional(self.pool())
            .await?
            .is_none())
    }
}
