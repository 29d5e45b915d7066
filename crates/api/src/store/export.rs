//! Everything kept of a contact, read for their request to see it (the right of access) or to
//! take it elsewhere: [`Store::export_contact`], audited as `contact.export`.

use super::conversation::ChannelFilter;
use super::{AuditEntry, Store, StoreError};
use wire::accounts::AuditAction;
use wire::api::ContactExport;
use wire::{AgentId, ContactId};

/// Messages read by one page of the export.
const PAGE: u32 = 1000;

impl Store {
    /// The contact's details, every interaction and every message, oldest first; `actor` is
    /// the administrator, or `None` from the command line. Not found for an unknown contact.
    pub async fn export_contact(
        &self,
        actor: Option<AgentId>,
        contact: ContactId,
    ) -> Result<ContactExport, StoreError> {
        let exported_at = crate::util::now_ms();
        let details = self
            .contact(contact)
            .await?
            .ok_or_else(|| StoreError::not_found("contact"))?;
        let mut interactions = self.contact_interactions(contact).await?;
        interactions.reverse();
        // Pages newest back, as the desktop reads them, put in order at the end.
        let mut pages = Vec::new();
        let mut before = None;
        loop {
            let page = self
                .conversation(contact, before, PAGE, ChannelFilter::All)
                .await?;
            before = page.messages.first().map(|m| m.seq);
            let more = page.has_more && before.is_some();
            pages.push(page.messages);
            if !more {
                break;
            }
        }
        let messages: Vec<_> = pages.into_iter().rev().flatten().collect();
        let mut tx = self.begin().await?;
        tx.audit(AuditEntry {
            actor,
            action: AuditAction::ContactExport,
            target_id: contact.0.to_string(),
            before: None,
            after: Some(serde_json::json!({
                "interactions": interactions.len(),
                "messages": messages.len(),
            })),
        })
        .await?;
        tx.commit().await?;
        Ok(ContactExport {
            exported_at,
            contact: details,
            interactions,
            messages,
        })
    }
}
