//! Reading a conversation: pages of messages newest back with their interactions, and search.

use super::messages::contact_name;
use super::rows::{load_interaction, message, MESSAGE_SELECT};
use super::sql::{Arg, SqlBuilder};
use super::Store;
use super::StoreError;
use std::collections::BTreeMap;
use wire::api::{ConversationPage, SearchHit, SearchResults};
use wire::{ContactId, InteractionId, InteractionView, MessageId, MessageView};

impl Store {
    /// One page of a contact's conversation, newest back: messages before `before_seq`
    /// (oldest first in the page) with the interactions they belong to.
    pub async fn conversation(
        &self,
        contact: ContactId,
        before_seq: Option<i64>,
        limit: u32,
        filter: ChannelFilter,
    ) -> Result<ConversationPage, StoreError> {
        let mut b = SqlBuilder::default();
        b.push(MESSAGE_SELECT);
        b.push(" JOIN interactions i ON i.id = m.interaction_id WHERE m.contact_id = ");
        let c = b.arg(Arg::Int(contact.0));
        b.push(&c);
        if let Some(before) = before_seq {
            let p = b.arg(Arg::Int(before));
            b.push(&format!(" AND m.seq < {p}"));
        }
        b.push(filter.sql());
        let lim = b.arg(Arg::Int(i64::from(limit) + 1));
        b.push(&format!(" ORDER BY m.seq DESC LIMIT {lim}"));
        let rows = b.fetch_all(self.pool()).await?;
        let has_more = rows.len() > limit as usize;
        let mut messages = rows
            .iter()
            .take(limit as usize)
            .map(message)
            .collect::<Result<Vec<_>, _>>()?;
        messages.reverse();
        let interactions = self.interactions_of(&messages).await?;
        Ok(ConversationPage {
            contact_id: contact,
            messages,
            interactions,
            has_more,
        })
    }

    async fn interactions_of(
        &self,
        messages: &[MessageView],
    ) -> Result<Vec<InteractionView>, StoreError> {
        let mut ids: Vec<InteractionId> = messages.iter().map(|m| m.interaction_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(v) = load_interaction(self.pool(), id).await? {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// Messages matching keywords, newest first; within one contact or across all.
    pub async fn search(
        &self,
        q: &str,
        contact: Option<ContactId>,
        before: Option<MessageId>,
        limit: u32,
        filter: ChannelFilter,
    ) -> Result<SearchResults, StoreError> {
        let Some(param) = self.dialect().search_param(q) else {
            return Ok(SearchResults {
                hits: Vec::new(),
                has_more: false,
            });
        };
        self.catch_up_search_index().await?;
        let mut b = SqlBuilder::default();
        b.plan_every_run();
        b.push(MESSAGE_SELECT);
        b.push(" JOIN interactions i ON i.id = m.interaction_id");
        let newest = self.dialect().push_message_search(&mut b, param, contact);
        if let Some(before) = before {
            let p = b.arg(Arg::Int(before.0));
            b.push(&format!(" AND {newest} < {p}"));
        }
        b.push(filter.sql());
        let lim = b.arg(Arg::Int(i64::from(limit) + 1));
        b.push(&format!(" ORDER BY {newest} DESC LIMIT {lim}"));
        let rows = b.fetch_all(self.pool()).await?;
        let has_more = rows.len() > limit as usize;
        let mut names: BTreeMap<ContactId, String> = BTreeMap::new();
        let mut hits = Vec::new();
        for row in rows.iter().take(limit as usize) {
            let message = message(row)?;
            let contact_name = if let Some(n) = names.get(&message.contact_id) {
                n.clone()
            } else {
                let n = contact_name(self.pool(), message.contact_id).await?;
                names.insert(message.contact_id, n.clone());
                n
            };
            hits.push(SearchHit {
                message,
                contact_name,
            });
        }
        Ok(SearchResults { hits, has_more })
    }
}

/// Which channels a conversation or search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelFilter {
    /// Every channel.
    All,
    /// Web Chat, Messenger and Twitter DMs (`Private`).
    Private,
    /// Facebook posts and Tweets (`Public`).
    Public,
    /// Web Chat only (what the visitor widget shows).
    WebChat,
}

impl ChannelFilter {
    fn sql(self) -> &'static str {
        match self {
            ChannelFilter::All => "",
            ChannelFilter::Private => " AND i.channel NOT IN ('facebook_post', 'tweet')",
            ChannelFilter::Public => " AND i.channel IN ('facebook_post', 'tweet')",
            ChannelFilter::WebChat => " AND i.channel = 'web_chat'",
        }
    }
}
