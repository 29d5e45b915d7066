//! The Transcript area: messages with author, time, channel, delivered/read marks, images and system
//! lines, plus the messages still being sent.

use super::log::WindowedLog;
use super::markup::{Drawn, Markup};
use super::send::{self, Sender};
use super::state::{InteractionsState, Pending};
use crate::browser::{clock_time, date_time};
use crate::shell::state::desk;
use leptos::prelude::*;
use wire::{
    AttachmentView, Author, Channel, ClientMessageId, ContactId, InteractionId, InteractionView,
    MessageId, MessageView, OutboundState, SystemLine,
};

/// One line of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// The start of an interaction (Conversation tab, Communication tab).
    Header(InteractionView),
    /// A stored message.
    Message(MessageView),
    /// A message on its way.
    Pending(Pending),
}

/// What makes an entry's line change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EntryKey {
    /// A header.
    Header(InteractionId),
    /// A message, its marks and its outbound state.
    Message(MessageId, bool, bool, Option<OutboundState>),
    /// A pending message and whether it failed.
    Pending(ClientMessageId, bool),
}

impl Entry {
    /// The key for `<For>`.
    pub fn key(&self) -> EntryKey {
        match self {
            Entry::Header(i) => EntryKey::Header(i.id),
            Entry::Message(m) => EntryKey::Message(
                m.id,
                m.delivered_at.is_some(),
                m.read_at.is_some(),
                m.outbound.as_ref().map(|o| o.state),
            ),
            Entry::Pending(p) => EntryKey::Pending(p.client_id.clone(), p.failed.is_some()),
        }
    }
}

/// The entries of a contact's conversation: all of it with headers (only its public or its
/// private channels' when `public` says so), or one interaction's.
pub fn entries(
    interactions: InteractionsState,
    contact: ContactId,
    only: Option<InteractionId>,
    public: Option<bool>,
) -> Vec<Entry> {
    interactions.conversations.with(|c| {
        let Some(conv) = c.get(&contact) else {
            return Vec::new();
        };
        let hidden = conv.hidden(public);
        let mut out = Vec::with_capacity(conv.messages.len() + conv.pending.len() + 4);
        let mut last_interaction = None;
        let shown: Vec<&MessageView> = conv
            .messages
            .iter()
            .filter(|m| {
                only.is_none_or(|id| id == m.interaction_id) && !hidden.contains(&m.interaction_id)
            })
            .collect();
        let shown = if public == Some(true) {
            thread_order(shown)
        } else {
            shown
        };
        for m in shown {
            if only.is_none() && last_interaction != Some(m.interaction_id) {
                last_interaction = Some(m.interaction_id);
                if let Some(i) = conv.interactions.iter().find(|i| i.id == m.interaction_id) {
                    out.push(Entry::Header(i.clone()));
                }
            }
            out.push(Entry::Message(m.clone()));
        }
        out.extend(
            conv.pending
                .iter()
                .filter(|p| only.is_none() || p.interaction_id == only)
                .filter(|p| !p.interaction_id.is_some_and(|i| hidden.contains(&i)))
                .cloned()
                .map(Entry::Pending),
        );
        out
    })
}

/// Public items in thread order: each item followed by the replies to it (and theirs), in
/// the order they were written; an item whose parent is not loaded starts a thread of its
/// own. Threads come in the order of their first item.
pub fn thread_order(messages: Vec<&MessageView>) -> Vec<&MessageView> {
    let ids: std::collections::HashSet<MessageId> = messages.iter().map(|m| m.id).collect();
    let mut children: std::collections::HashMap<MessageId, Vec<&MessageView>> =
        std::collections::HashMap::new();
    let mut roots = Vec::new();
    for m in &messages {
        match m.reply_to.filter(|p| ids.contains(p) && *p != m.id) {
            Some(parent) => children.entry(parent).or_default().push(*m),
            None => roots.push(*m),
        }
    }
    let mut out = Vec::with_capacity(messages.len());
    let mut stack: Vec<&MessageView> = roots.into_iter().rev().collect();
    while let Some(m) = stack.pop() {
        out.push(m);
        if let Some(kids) = children.remove(&m.id) {
            stack.extend(kids.into_iter().rev());
        }
    }
    out
}

/// How deep each loaded public item sits in its thread (0 for a post or a top-level item).
pub fn thread_depth(messages: &[MessageView], id: MessageId) -> usize {
    let mut depth = 0;
    let mut at = id;
    while let Some(parent) = messages
        .iter()
        .find(|m| m.id == at)
        .and_then(|m| m.reply_to)
    {
        if depth >= 8 || !messages.iter().any(|m| m.id == parent) {
            break;
        }
        depth += 1;
        at = parent;
    }
    depth
}

/// Who wrote a message, in words.
pub fn author_name(m: &MessageView, contact_name: &str) -> String {
    match &m.author {
        Author::Agent { name, .. } => name.clone(),
        Author::Contact => contact_name.to_owned(),
        Author::System => "System".to_owned(),
    }
}

fn system_text(m: &MessageView) -> String {
    if !m.text.is_empty() {
        return m.text.clone();
    }
    match m.system {
        Some(SystemLine::Joined) => "An agent joined the chat.",
        Some(SystemLine::Left) => "The contact left the chat.",
        Some(SystemLine::Ended) => "The chat was ended.",
        Some(SystemLine::Reactivated) => "The conversation was reactivated.",
        Some(SystemLine::Transferred) => "The chat was transferred.",
        None => "",
    }
    .to_owned()
}

/// Writes a text, with every case-insensitive hit of `needle` in a `<mark>`.
pub fn highlighted(m: &mut Markup, text: &str, needle: &str) {
    let needle = needle.trim();
    let lower = text.to_lowercase();
    let n = needle.to_lowercase();
    // Lower-casing can change byte lengths outside ASCII; highlight only when it did not.
    if needle.is_empty() || lower.len() != text.len() {
        m.text(text);
        return;
    }
    let mut at = 0;
    while let Some(pos) = lower[at..].find(&n) {
        let start = at + pos;
        let end = start + n.len();
        if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
            break;
        }
        m.text(&text[at..start])
            .element("mark", &[], &text[start..end]);
        at = end;
    }
    m.text(&text[at..]);
}

/// The channel `m` was written on, from its interaction (unknown until that is loaded).
fn channel_of(interactions: InteractionsState, m: &MessageView) -> Option<Channel> {
    interactions.conversations.with_untracked(|c| {
        c.get(&m.contact_id)?
            .interactions
            .iter()
            .find(|i| i.id == m.interaction_id)
            .map(|i| i.channel)
    })
}

/// The mark under an agent's message: read, delivered, or where its sending stands.
fn agent_mark(m: &MessageView) -> &'static str {
    if m.read_at.is_some() {
        "Read"
    } else if m.delivered_at.is_some() {
        "Delivered"
    } else {
        match m.outbound.as_ref().map(|o| o.state) {
            Some(OutboundState::Sending) => "Sending…",
            Some(OutboundState::Sent) => "Sent",
            Some(OutboundState::Failed) => "Not sent",
            // Stored, not yet delivered: the contact sees it at their next visit (or the
            // platform gets it from the outbox).
            Some(OutboundState::Waiting) | None => "Waiting",
        }
    }
}

/// A line's author and time (and channel and mark, when there are).
fn meta(m: &mut Markup, author: &str, at: i64, channel: Option<&str>, mark: Option<&str>) {
    m.open("div", &[("class", Some("msg-meta"))])
        .element("span", &[("class", Some("author"))], author)
        .text(" ")
        .element("time", &[], &clock_time(at));
    if let Some(c) = channel {
        m.element("span", &[("class", Some("channel"))], c);
    }
    if let Some(k) = mark {
        m.element("span", &[("class", Some("mark"))], k);
    }
    m.close("div");
}

/// The thumbnails' box, in CSS pixels: `.thumb img`'s `max-width` and `max-height` (12rem and
/// 10rem of 16 px).
const THUMB_BOX: (u32, u32) = (192, 160);

/// A picture in a line: the thumbnail, opening the full picture when it is a link. Its size is
/// given, so the row has its height before the image arrives.
fn picture(m: &mut Markup, a: &AttachmentView, link: bool) {
    let size = wire::shown_size(a.width, a.height, THUMB_BOX.0, THUMB_BOX.1);
    let (width, height) = size.map_or((None, None), |(w, h)| {
        (Some(w.to_string()), Some(h.to_string()))
    });
    let img = [
        ("src", Some(a.url.as_str())),
        ("alt", Some(a.file_name.as_str())),
        ("width", width.as_deref()),
        ("height", height.as_deref()),
    ];
    if link {
        m.open(
            "a",
            &[
                ("class", Some("thumb")),
                ("href", Some(&a.url)),
                ("target", Some("_blank")),
                ("rel", Some("noopener")),
            ],
        )
        .open("img", &[&img[..], &[("loading", Some("lazy"))]].concat())
        .close("a");
    } else {
        m.open("img", &[&[("class", Some("thumb"))], &img[..]].concat());
    }
}

/// One entry as a line: markup, with the Retry and Discard buttons of a message that was
/// not sent as live parts.
pub fn entry_view(entry: Entry, contact_name: &str, needle: &str, sender: Sender) -> Drawn {
    let mut out = Markup::new();
    match entry {
        Entry::Header(i) => {
            let mut text = format!(
                "{} · {} · {}",
                i.channel.label(),
                date_time(i.created_at),
                i.state.label()
            );
            if let Some(a) = &i.agent_name {
                text.push_str(" · ");
                text.push_str(a);
            }
            out.element(
                "div",
                &[
                    ("class", Some("interaction-header")),
                    ("role", Some("separator")),
                ],
                &text,
            );
            Drawn::markup(out)
        }
        Entry::Message(m) if matches!(m.author, Author::System) => {
            out.open("div", &[("class", Some("msg system"))])
                .element("time", &[], &clock_time(m.created_at))
                .text(" ")
                .text(&system_text(&m))
                .close("div");
            Drawn::markup(out)
        }
        Entry::Message(m) => {
            let is_agent = matches!(m.author, Author::Agent { .. });
            let refused = m
                .outbound
                .as_ref()
                .filter(|o| o.state == OutboundState::Failed)
                .map(|o| {
                    o.error
                        .clone()
                        .unwrap_or_else(|| "the platform refused it".to_owned())
                });
            let channel = channel_of(sender.interactions, &m).map(Channel::label);
            out.open(
                "div",
                &[
                    (
                        "class",
                        Some(if is_agent { "msg agent" } else { "msg contact" }),
                    ),
                    ("data-live", refused.is_some().then_some("")),
                ],
            );
            meta(
                &mut out,
                &author_name(&m, contact_name),
                m.created_at,
                channel,
                is_agent.then(|| agent_mark(&m)),
            );
            if !m.text.is_empty() {
                out.open("p", &[("class", Some("text"))]);
                highlighted(&mut out, &m.text, needle);
                out.close("p");
            }
            if let Some(a) = &m.attachment {
                picture(&mut out, a, true);
            }
            out.close("div");
            let id = m.id;
            let live = refused.map(|why| {
                let problem = RwSignal::new(None::<String>);
                view! {
                    <p class="error" role="alert">{format!("Not sent: {why}")}</p>
                    <div class="actions">
                        <button type="button"
                            on:click=move |_| send::retry_outbound(sender, id, problem)>
                            "Retry"
                        </button>
                    </div>
                    {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
                }
                .into_any()
            });
            Drawn::with_live(out, live.into_iter().collect())
        }
        Entry::Pending(p) => {
            let failed = p.failed.clone();
            out.open(
                "div",
                &[
                    (
                        "class",
                        Some(if failed.is_some() {
                            "msg agent pending failed"
                        } else {
                            "msg agent pending"
                        }),
                    ),
                    ("data-live", failed.is_some().then_some("")),
                ],
            );
            let mark = if failed.is_some() {
                "Failed"
            } else {
                "Sending…"
            };
            meta(&mut out, "You", p.written_at, None, Some(mark));
            if !p.text.is_empty() {
                out.element("p", &[("class", Some("text"))], &p.text);
            }
            if let Some(a) = &p.attachment {
                picture(&mut out, a, false);
            }
            out.close("div");
            let retry_pending = p.clone();
            let id = p.client_id.clone();
            let live = failed.map(|why| {
                view! {
                    <p class="error" role="alert">{why}</p>
                    <div class="actions">
                        {p.retryable.then(|| {
                            let again = retry_pending.clone();
                            view! {
                                <button type="button" on:click=move |_| send::deliver(sender, again.clone())>
                                    "Retry"
                                </button>
                            }
                        })}
                        <button type="button"
                            on:click=move |_| sender.interactions.discard_pending(sender.contact, &id)>
                            "Discard"
                        </button>
                    </div>
                }
                .into_any()
            });
            Drawn::with_live(out, live.into_iter().collect())
        }
    }
}

/// A transcript: every entry of `only` (or the whole conversation with headers).
#[component]
pub fn Transcript(
    contact: ContactId,
    #[prop(optional)] only: Option<InteractionId>,
    #[prop(into)] contact_name: Signal<String>,
    sender: Sender,
    label: &'static str,
) -> impl IntoView {
    let interactions = sender.interactions;
    let list = Memo::new(move |_| entries(interactions, contact, only, None));
    let render = Callback::new(move |entry: Entry| {
        entry_view(entry, &contact_name.get_untracked(), "", sender)
    });
    let place = match only {
        Some(id) => format!("t-{id}"),
        None => format!("t-c{contact}"),
    };
    // An interaction's earlier messages may be older than the newest page (a chat that went on
    // for days): its transcript asks for older pages until what is loaded reaches back before
    // the interaction began.
    let began = move || {
        let id = only?;
        interactions.conversations.with_untracked(|c| {
            let conv = c.get(&contact)?;
            let began = conv.interactions.iter().find(|i| i.id == id)?.created_at;
            Some((began, conv.messages.iter().next().map(|m| m.created_at)))
        })
    };
    let older = super::older_pages(
        sender.api,
        interactions,
        desk().notices,
        contact,
        None,
        move || match began() {
            Some((began, Some(oldest))) => oldest >= began,
            _ => true,
        },
    );
    view! { <WindowedLog list=list place=place label=label render=render older=older/> }
}

#[cfg(test)]
mod tests {
    use super::{thread_depth, thread_order};
    use wire::{MessageId, MessageView};

    fn item(id: i64, reply_to: Option<i64>) -> MessageView {
        MessageView {
            reply_to: reply_to.map(MessageId),
            ..MessageView::sample(id)
        }
    }

    #[test]
    fn replies_follow_their_parents_and_unknown_parents_start_threads() {
        // 1 post; 2 another post; 3 answers 1; 4 answers 2; 5 answers 3; 6 answers one not loaded.
        let all = [
            item(1, None),
            item(2, None),
            item(3, Some(1)),
            item(4, Some(2)),
            item(5, Some(3)),
            item(6, Some(99)),
        ];
        let order: Vec<i64> = thread_order(all.iter().collect())
            .iter()
            .map(|m| m.id.0)
            .collect();
        assert_eq!(order, vec![1, 3, 5, 2, 4, 6]);
        assert_eq!(thread_depth(&all, MessageId(1)), 0);
        assert_eq!(thread_depth(&all, MessageId(5)), 2);
        assert_eq!(thread_depth(&all, MessageId(6)), 0);
    }
}
