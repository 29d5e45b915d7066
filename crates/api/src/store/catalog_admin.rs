//! Catalog administration: standard response categories and responses, disposition codes and
//! Not Ready reasons. Every change locks what it changes, checks, changes and writes its audit
//! row ([`Tx::audit`]) in one transaction. Agents read the result on their next load
//! (`GET /api/responses`, `GET /api/config`).

use super::{AuditEntry, Store, StoreError, Tx};
use serde_json::{json, Value};
use sqlx::any::AnyRow;
use sqlx::Row;
use wire::accounts::AuditAction;
use wire::catalog::{CategoryForm, CodeChange, CodeList, CodeView, NewCode, ResponseForm};
use wire::{AgentId, CategoryId, CategoryView, ResponseId, StandardResponse};

/// Which list of codes a change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// Disposition codes (`Mark Done`).
    Disposition,
    /// Not Ready reasons.
    NotReadyReason,
}

/// What is done to a code, as the audit log names it.
#[derive(Debug, Clone, Copy)]
enum Op {
    Create,
    Update,
    Reorder,
}

impl CodeKind {
    fn table(self) -> &'static str {
        match self {
            CodeKind::Disposition => "dispositions",
            CodeKind::NotReadyReason => "not_ready_reasons",
        }
    }

    /// The audit log's `target_kind`, and the first word of its actions.
    /// What the audit log records for `op` on a code of this kind.
    fn audit(self, op: Op) -> AuditAction {
        match (self, op) {
            (CodeKind::Disposition, Op::Create) => AuditAction::DispositionCreate,
            (CodeKind::Disposition, Op::Update) => AuditAction::DispositionUpdate,
            (CodeKind::Disposition, Op::Reorder) => AuditAction::DispositionReorder,
            (CodeKind::NotReadyReason, Op::Create) => AuditAction::ReasonCreate,
            (CodeKind::NotReadyReason, Op::Update) => AuditAction::ReasonUpdate,
            (CodeKind::NotReadyReason, Op::Reorder) => AuditAction::ReasonReorder,
        }
    }

    fn noun(self) -> &'static str {
        match self {
            CodeKind::Disposition => "disposition code",
            CodeKind::NotReadyReason => "Not Ready reason",
        }
    }
}

fn category_row(r: &AnyRow) -> Result<CategoryView, sqlx::Error> {
    Ok(CategoryView {
        id: CategoryId(r.try_get("id")?),
        parent_id: r.try_get::<Option<i64>, _>("parent_id")?.map(CategoryId),
        name: r.try_get("name")?,
    })
}

fn response_row(r: &AnyRow) -> Result<StandardResponse, sqlx::Error> {
    Ok(StandardResponse {
        id: ResponseId(r.try_get("id")?),
        category_id: CategoryId(r.try_get("category_id")?),
        title: r.try_get("title")?,
        body: r.try_get("body")?,
    })
}

fn code_row(r: &AnyRow) -> Result<CodeView, sqlx::Error> {
    Ok(CodeView {
        code: r.try_get("code")?,
        label: r.try_get("label")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}

fn audited_category(c: &CategoryView) -> Value {
    json!({"name": c.name, "parent_id": c.parent_id.map(|p| p.0)})
}

fn audited_response(r: &StandardResponse) -> Value {
    json!({"category_id": r.category_id.0, "title": r.title, "body": r.body})
}

fn audited_code(c: &CodeView) -> Value {
    json!({"code": c.code, "label": c.label, "active": c.active})
}

async fn lock_category(tx: &mut Tx, id: CategoryId) -> Result<CategoryView, StoreError> {
    let sql = format!(
        "SELECT id, parent_id, name FROM response_categories WHERE id = $1{}",
        tx.dialect().for_update()
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .ok_or(StoreError::not_found("category"))?;
    Ok(category_row(&row)?)
}

async fn lock_response(tx: &mut Tx, id: ResponseId) -> Result<StandardResponse, StoreError> {
    let sql = format!(
        "SELECT id, category_id, title, body FROM standard_responses WHERE id = $1{}",
        tx.dialect().for_update()
    );
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut tx.inner)
        .await?
        .ok_or(StoreError::not_found("standard response"))?;
    Ok(response_row(&row)?)
}

/// Refuses a category that does not exist as a parent or home (the request names it).
async fn require_category(tx: &mut Tx, id: CategoryId, what: &str) -> Result<(), StoreError> {
    let found = sqlx::query("SELECT id FROM response_categories WHERE id = $1")
        .bind(id.0)
        .fetch_optional(&mut tx.inner)
        .await?;
    if found.is_none() {
        return Err(StoreError::Rejected(format!(
            "the {what} {id} does not exist"
        )));
    }
    Ok(())
}

/// Refuses a second category of the same name under the same parent.
async fn unique_category_name(
    tx: &mut Tx,
    form: &CategoryForm,
    except: Option<CategoryId>,
) -> Result<(), StoreError> {
    let rows = sqlx::query("SELECT id, parent_id, name FROM response_categories WHERE name = $1")
        .bind(&form.name)
        .fetch_all(&mut tx.inner)
        .await?;
    for row in &rows {
        let c = category_row(row)?;
        if c.parent_id == form.parent_id && Some(c.id) != except {
            return Err(StoreError::conflict(format!(
                "a category named {:?} already exists there",
                form.name
            )));
        }
    }
    Ok(())
}

/// Refuses a second response of the same title in the same category.
async fn unique_title(
    tx: &mut Tx,
    form: &ResponseForm,
    except: Option<ResponseId>,
) -> Result<(), StoreError> {
    let found = sqlx::query(
        "SELECT id FROM standard_responses WHERE category_id = $1 AND title = $2 AND id <> $3",
    )
    .bind(form.category_id.0)
    .bind(&form.title)
    .bind(except.map_or(-1, |e| e.0))
    .fetch_optional(&mut tx.inner)
    .await?;
    if found.is_some() {
        return Err(StoreError::conflict(format!(
            "a standard response titled {:?} already exists in that category",
            form.title
        )));
    }
    Ok(())
}

async fn lock_code(tx: &mut Tx, kind: CodeKind, code: &str) -> Result<CodeView, StoreError> {
    let sql = format!(
        "SELECT code, label, active FROM {} WHERE code = $1{}",
        kind.table(),
        tx.dialect().for_update()
    );
    let row = sqlx::query(&sql)
        .bind(code)
        .fetch_optional(&mut tx.inner)
        .await?
        .ok_or(StoreError::not_found(match kind {
            CodeKind::Disposition => "disposition code",
            CodeKind::NotReadyReason => "Not Ready reason",
        }))?;
    Ok(code_row(&row)?)
}

async fn lock_codes(tx: &mut Tx, kind: CodeKind) -> Result<Vec<CodeView>, StoreError> {
    let sql = format!(
        "SELECT code, label, active FROM {} ORDER BY position, code{}",
        kind.table(),
        tx.dialect().for_update()
    );
    let rows = sqlx::query(&sql).fetch_all(&mut tx.inner).await?;
    Ok(rows.iter().map(code_row).collect::<Result<_, _>>()?)
}

/// Refuses a label another code of the list already has (agents could not tell them apart).
fn unique_label(
    kind: CodeKind,
    all: &[CodeView],
    label: &str,
    except: &str,
) -> Result<(), StoreError> {
    if all.iter().any(|c| c.code != except && c.label == label) {
        return Err(StoreError::conflict(format!(
            "another {} is already labelled {label:?}",
            kind.noun()
        )));
    }
    Ok(())
}

impl Store {
    /// Adds a category (audited as `category.create`).
    pub async fn create_category(
        &self,
        actor: AgentId,
        form: &CategoryForm,
    ) -> Result<CategoryView, StoreError> {
        let mut tx = self.begin().await?;
        if let Some(parent) = form.parent_id {
            require_category(&mut tx, parent, "parent category").await?;
        }
        unique_category_name(&mut tx, form, None).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO response_categories (parent_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(form.parent_id.map(|p| p.0))
        .bind(&form.name)
        .fetch_one(&mut tx.inner)
        .await?
        .try_get("id")?;
        let after = lock_category(&mut tx, CategoryId(id)).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::CategoryCreate,
            target_id: id.to_string(),
            before: None,
            after: Some(audited_category(&after)),
        })
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Renames or moves a category (audited as `category.update`). Moving it under itself or
    /// one of its own sub-categories is a conflict.
    pub async fn update_category(
        &self,
        actor: AgentId,
        id: CategoryId,
        form: &CategoryForm,
    ) -> Result<CategoryView, StoreError> {
        let mut tx = self.begin().await?;
        let before = lock_category(&mut tx, id).await?;
        // Walk up from the new parent: meeting the category itself would make a cycle.
        let mut up = form.parent_id;
        let mut steps = 0;
        while let Some(p) = up {
            if p == id {
                return Err(StoreError::conflict(
                    "a category cannot be moved into itself or one of its sub-categories",
                ));
            }
            require_category(&mut tx, p, "parent category").await?;
            up = lock_category(&mut tx, p).await?.parent_id;
            steps += 1;
            if steps > 10_000 {
                return Err(StoreError::Internal("the category tree has a cycle".into()));
            }
        }
        unique_category_name(&mut tx, form, Some(id)).await?;
        sqlx::query("UPDATE response_categories SET name = $1, parent_id = $2 WHERE id = $3")
            .bind(&form.name)
            .bind(form.parent_id.map(|p| p.0))
            .bind(id.0)
            .execute(&mut tx.inner)
            .await?;
        let after = lock_category(&mut tx, id).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::CategoryUpdate,
            target_id: id.0.to_string(),
            before: Some(audited_category(&before)),
            after: Some(audited_category(&after)),
        })
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes an empty category (audited as `category.delete`); one holding responses or
    /// sub-categories is a conflict.
    pub async fn delete_category(&self, actor: AgentId, id: CategoryId) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let before = lock_category(&mut tx, id).await?;
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM standard_responses WHERE category_id = $1) AS responses, \
             (SELECT COUNT(*) FROM response_categories WHERE parent_id = $1) AS children",
        )
        .bind(id.0)
        .fetch_one(&mut tx.inner)
        .await?;
        let responses: i64 = row.try_get("responses")?;
        let children: i64 = row.try_get("children")?;
        if responses > 0 || children > 0 {
            return Err(StoreError::conflict(format!(
                "the category {:?} is not empty ({responses} responses, {children} sub-categories): \
                 move or delete them first",
                before.name
            )));
        }
        sqlx::query("DELETE FROM response_categories WHERE id = $1")
            .bind(id.0)
            .execute(&mut tx.inner)
            .await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::CategoryDelete,
            target_id: id.0.to_string(),
            before: Some(audited_category(&before)),
            after: None,
        })
        .await?;
        tx.commit().await
    }

    /// Adds a standard response (audited as `standard_response.create`).
    pub async fn create_response(
        &self,
        actor: AgentId,
        form: &ResponseForm,
    ) -> Result<StandardResponse, StoreError> {
        let mut tx = self.begin().await?;
        require_category(&mut tx, form.category_id, "category").await?;
        unique_title(&mut tx, form, None).await?;
        let id: i64 = sqlx::query(
            "INSERT INTO standard_responses (category_id, title, body) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(form.category_id.0)
        .bind(&form.title)
        .bind(&form.body)
        .fetch_one(&mut tx.inner)
        .await?
        .try_get("id")?;
        let after = lock_response(&mut tx, ResponseId(id)).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::ResponseCreate,
            target_id: id.to_string(),
            before: None,
            after: Some(audited_response(&after)),
        })
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Changes a standard response's title, text or category (audited as
    /// `standard_response.update`).
    pub async fn update_response(
        &self,
        actor: AgentId,
        id: ResponseId,
        form: &ResponseForm,
    ) -> Result<StandardResponse, StoreError> {
        let mut tx = self.begin().await?;
        let before = lock_response(&mut tx, id).await?;
        require_category(&mut tx, form.category_id, "category").await?;
        unique_title(&mut tx, form, Some(id)).await?;
        sqlx::query(
            "UPDATE standard_responses SET category_id = $1, title = $2, body = $3 WHERE id = $4",
        )
        .bind(form.category_id.0)
        .bind(&form.title)
        .bind(&form.body)
        .bind(id.0)
        .execute(&mut tx.inner)
        .await?;
        let after = lock_response(&mut tx, id).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::ResponseUpdate,
            target_id: id.0.to_string(),
            before: Some(audited_response(&before)),
            after: Some(audited_response(&after)),
        })
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Deletes a standard response (audited as `standard_response.delete`). Messages sent
    /// with it keep their text.
    pub async fn delete_response(&self, actor: AgentId, id: ResponseId) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        let before = lock_response(&mut tx, id).await?;
        sqlx::query("DELETE FROM standard_responses WHERE id = $1")
            .bind(id.0)
            .execute(&mut tx.inner)
            .await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: AuditAction::ResponseDelete,
            target_id: id.0.to_string(),
            before: Some(audited_response(&before)),
            after: None,
        })
        .await?;
        tx.commit().await
    }

    /// Every code of a kind, retired ones included, in order.
    pub async fn code_list(&self, kind: CodeKind) -> Result<CodeList, StoreError> {
        let sql = format!(
            "SELECT code, label, active FROM {} ORDER BY position, code",
            kind.table()
        );
        let rows = sqlx::query(&sql).fetch_all(self.pool()).await?;
        Ok(CodeList {
            codes: rows.iter().map(code_row).collect::<Result<_, _>>()?,
        })
    }

    /// Adds a code at the end of its list (audited as `<kind>.create`). A code or label
    /// already there (retired ones included) is a conflict.
    pub async fn create_code(
        &self,
        actor: AgentId,
        kind: CodeKind,
        new: &NewCode,
    ) -> Result<CodeView, StoreError> {
        let mut tx = self.begin().await?;
        let all = lock_codes(&mut tx, kind).await?;
        if all.iter().any(|c| c.code == new.code) {
            return Err(StoreError::conflict(format!(
                "the {} {:?} already exists",
                kind.noun(),
                new.code
            )));
        }
        unique_label(kind, &all, &new.label, &new.code)?;
        let sql = format!(
            "INSERT INTO {} (code, label, position, active) \
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), -1) + 1 FROM {}), 1)",
            kind.table(),
            kind.table()
        );
        sqlx::query(&sql)
            .bind(&new.code)
            .bind(&new.label)
            .execute(&mut tx.inner)
            .await?;
        let after = lock_code(&mut tx, kind, &new.code).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: kind.audit(Op::Create),
            target_id: new.code.clone(),
            before: None,
            after: Some(audited_code(&after)),
        })
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Relabels, retires or brings back a code (audited as `<kind>.update`). The code itself
    /// never changes: interactions and agents carry it. `logged_out` cannot be retired.
    pub async fn change_code(
        &self,
        actor: AgentId,
        kind: CodeKind,
        code: &str,
        change: &CodeChange,
    ) -> Result<CodeView, StoreError> {
        let mut tx = self.begin().await?;
        let all = lock_codes(&mut tx, kind).await?;
        let before = lock_code(&mut tx, kind, code).await?;
        if kind == CodeKind::NotReadyReason
            && code == wire::ReasonCode::LOGGED_OUT
            && change.active == Some(false)
        {
            return Err(StoreError::conflict(
                "the Not Ready reason logged_out cannot be retired: the server gives it to agents who log out",
            ));
        }
        let label = change.label.clone().unwrap_or_else(|| before.label.clone());
        unique_label(kind, &all, &label, code)?;
        let active = change.active.unwrap_or(before.active);
        let sql = format!(
            "UPDATE {} SET label = $1, active = $2 WHERE code = $3",
            kind.table()
        );
        sqlx::query(&sql)
            .bind(&label)
            .bind(i64::from(active))
            .bind(code)
            .execute(&mut tx.inner)
            .await?;
        let after = lock_code(&mut tx, kind, code).await?;
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: kind.audit(Op::Update),
            target_id: code.to_owned(),
            before: Some(audited_code(&before)),
            after: Some(audited_code(&after)),
        })
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Puts the codes in a new order (audited as `<kind>.reorder`, with the orders before and
    /// after). The order must name every code once, or it is refused.
    pub async fn reorder_codes(
        &self,
        actor: AgentId,
        kind: CodeKind,
        order: &[String],
    ) -> Result<CodeList, StoreError> {
        let mut tx = self.begin().await?;
        let all = lock_codes(&mut tx, kind).await?;
        let mut given: Vec<&str> = order.iter().map(String::as_str).collect();
        given.sort_unstable();
        let mut have: Vec<&str> = all.iter().map(|c| c.code.as_str()).collect();
        have.sort_unstable();
        if given != have {
            return Err(StoreError::Rejected(format!(
                "the order must list every {} once: {}",
                kind.noun(),
                have.join(", ")
            )));
        }
        let sql = format!("UPDATE {} SET position = $1 WHERE code = $2", kind.table());
        for (i, code) in order.iter().enumerate() {
            sqlx::query(&sql)
                .bind(i64::try_from(i).unwrap_or(i64::MAX))
                .bind(code)
                .execute(&mut tx.inner)
                .await?;
        }
        let after = lock_codes(&mut tx, kind).await?;
        let codes = |l: &[CodeView]| json!(l.iter().map(|c| c.code.clone()).collect::<Vec<_>>());
        tx.audit(AuditEntry {
            actor: Some(actor),
            action: kind.audit(Op::Reorder),
            target_id: "order".to_owned(),
            before: Some(codes(&all)),
            after: Some(codes(&after)),
        })
        .await?;
        tx.commit().await?;
        Ok(CodeList { codes: after })
    }
}
