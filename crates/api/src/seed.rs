//! Demo data for a first start: three agents, a supervisor and an administrator, a dozen contacts with past conversations over
//! Web Chat, Messenger and Twitter DMs (some with images), public posts and Tweets, a tree of
//! standard responses, disposition codes and Not Ready reasons.

use crate::auth::{hash_password, new_file_key, sha256_hex};
use crate::images::check;
use crate::store::{AuthorKey, ImportedInteraction, ImportedMessage, NewAttachment, Store};
use crate::util::now_ms;
use wire::{AgentId, AttachmentId, Channel, DispositionCode, Identity};

/// The demo agents: login, password, display name, capacity.
pub const DEMO_AGENTS: [(&str, &str, &str, u32); 3] = [
    ("ann", "ann-pass-1", "Ann Archer", 3),
    ("ben", "ben-pass-1", "Ben Brooks", 3),
    ("cleo", "cleo-pass-1", "Cleo Chen", 2),
];

/// The demo supervisor and administrator: login, password, display name, role. They take no
/// chats unless they go Ready.
pub const DEMO_STAFF: [(&str, &str, &str, wire::Role); 2] = [
    ("sam", "sam-pass-1", "Sam Sato", wire::Role::Supervisor),
    (
        "ada",
        "ada-pass-1",
        "Ada Alvarez",
        wire::Role::Administrator,
    ),
];

const DISPOSITIONS: [(&str, &str); 5] = [
    ("resolved", "Resolved"),
    ("follow_up", "Needs follow-up"),
    ("order_issue", "Order issue"),
    ("product_question", "Product question"),
    ("no_response", "No response from contact"),
];

const REASONS: [(&str, &str); 5] = [
    ("break", "Break"),
    ("lunch", "Lunch"),
    ("meeting", "Meeting"),
    ("training", "Training"),
    (wire::ReasonCode::LOGGED_OUT, "Logged out"),
];

/// Makes sure disposition codes and Not Ready reasons exist (every start).
pub async fn ensure_codes(store: &Store) -> Result<(), crate::store::StoreError> {
    if !store.has_codes().await? {
        store.set_codes(&DISPOSITIONS, &REASONS).await?;
    }
    Ok(())
}

type Line = (u8, &'static str, Option<&'static str>);

struct DemoContact {
    first: &'static str,
    last: &'static str,
    email: Option<&'static str>,
    identity: Identity,
    /// (channel, handling agent index, days ago, lines: (0 = contact, n = agent n, text, image))
    chats: &'static [(Channel, usize, i64, &'static [Line])],
}

fn demo_contacts() -> Vec<DemoContact> {
    use Channel::{FacebookPost, Messenger, Tweet, TwitterDm, WebChat};
    vec![
        DemoContact { first: "Maria", last: "Lopez", email: Some("maria.lopez@example.com"), identity: Identity::WebCustomer("cust-1001".into()), chats: &[
            (WebChat, 0, 20, &[(0, "Hi, my trail boots arrived with a broken lace hook.", None), (0, "", Some("boot.png")), (1, "Sorry about that, Maria! I am sending a replacement pair today.", None), (0, "Thank you, that was fast.", None)]),
            (WebChat, 0, 3, &[(0, "The replacement boots fit perfectly. Do you sell waterproofing spray?", None), (1, "We do: the Northwind Wax Guard, in the accessories section.", None)]),
        ]},
        DemoContact { first: "Tom", last: "Becker", email: Some("tom.becker@example.com"), identity: Identity::MessengerPsid("psid-2207".into()), chats: &[
            (Messenger, 1, 12, &[(0, "Is the Alpine 2 tent good for snow?", None), (2, "It is a three-season tent; for snow the Summit 4 is the right one.", None), (0, "OK, ordering the Summit 4 then.", None)]),
        ]},
        DemoContact { first: "Aiko", last: "Tanaka", email: None, identity: Identity::TwitterUser("tw-3391".into()), chats: &[
            (TwitterDm, 2, 9, &[(0, "My order 58812 says delivered but nothing is here.", None), (3, "Let me check with the carrier. Could you send the delivery receipt?", None), (0, "", Some("receipt.png")), (3, "Thanks. The parcel was left at the neighbour's; the carrier will call you.", None)]),
        ]},
        DemoContact { first: "Jonas", last: "Meier", email: Some("jonas.meier@example.com"), identity: Identity::WebVisitor("demo-visitor-4".into()), chats: &[
            (WebChat, 1, 30, &[(0, "Do you ship to Switzerland?", None), (2, "Yes, within 5 working days. Duties are included at checkout.", None)]),
            (WebChat, 0, 6, &[(0, "The seam of my jacket opened after one week.", None), (0, "", Some("jacket.png")), (1, "That should not happen. I have started a warranty claim for you.", None)]),
        ]},
        DemoContact { first: "Priya", last: "Nair", email: Some("priya.nair@example.com"), identity: Identity::WebCustomer("cust-1005".into()), chats: &[
            (WebChat, 2, 15, &[(0, "Can I change the delivery address of order 60231?", None), (3, "Done: the new address is on the order now.", None)]),
        ]},
        DemoContact { first: "Lucas", last: "Martin", email: None, identity: Identity::MessengerPsid("psid-2266".into()), chats: &[
            (Messenger, 0, 4, &[(0, "What is the return policy for worn shoes?", None), (1, "Returns are free within 60 days if the shoes were only worn indoors.", None)]),
        ]},
        DemoContact { first: "Sofia", last: "Rossi", email: Some("sofia.rossi@example.com"), identity: Identity::WebVisitor("demo-visitor-7".into()), chats: &[
            (WebChat, 1, 2, &[(0, "Is the sleeping bag rated to minus ten?", None), (2, "The Glacier bag has a comfort rating of minus five and a limit of minus twelve.", None), (0, "Perfect, thanks Ben!", None)]),
        ]},
        DemoContact { first: "Noah", last: "Williams", email: None, identity: Identity::TwitterUser("tw-3420".into()), chats: &[
            (Tweet, 0, 5, &[(0, "@NorthwindOutfitters best rain jacket I ever owned, three winters and still dry!", None), (1, "Thank you Noah, we are glad it keeps you dry!", None)]),
            (TwitterDm, 0, 1, &[(0, "Do you have the same rain jacket in XXL?", None), (1, "Yes, XXL is back in stock since Monday.", None)]),
        ]},
        DemoContact { first: "Emma", last: "Dubois", email: Some("emma.dubois@example.com"), identity: Identity::MessengerPsid("psid-2301".into()), chats: &[
            (FacebookPost, 2, 8, &[(0, "Northwind, your store in Lyon was closed on Saturday without notice!", None), (3, "We are sorry, Emma: a water leak closed it. It is open again today.", None)]),
        ]},
        DemoContact { first: "Omar", last: "Haddad", email: Some("omar.haddad@example.com"), identity: Identity::WebCustomer("cust-1010".into()), chats: &[
            (WebChat, 0, 11, &[(0, "My discount code WINTER40 is refused.", None), (1, "The code is valid from tomorrow; I have added the discount to your cart manually.", None)]),
        ]},
        DemoContact { first: "Hanna", last: "Berg", email: None, identity: Identity::TwitterUser("tw-3477".into()), chats: &[
            (Tweet, 1, 7, &[(0, "Which @NorthwindOutfitters boots for the Kungsleden trail?", None), (2, "Hanna, the Fjell GTX: waterproof and light. Happy hiking!", None)]),
        ]},
        DemoContact { first: "Diego", last: "Fernandez", email: Some("diego.fernandez@example.com"), identity: Identity::WebVisitor("demo-visitor-12".into()), chats: &[
            (WebChat, 2, 1, &[(0, "Can I pick up my order in the Madrid store?", None), (3, "Yes: choose click and collect at checkout and it is ready in two hours.", None)]),
        ]},
    ]
}

/// A category: its name, its parent's name, and its (title, body) responses.
type Category = (
    &'static str,
    Option<&'static str>,
    &'static [(&'static str, &'static str)],
);

const RESPONSES: [Category; 5] = [
    ("Greetings", None, &[
        ("Welcome", "Hello {contact.first_name}, this is {agent.name} from Northwind Outfitters. How can I help you today?"),
        ("Welcome back", "Welcome back, {contact.first_name}! I am picking up where we left off."),
    ]),
    ("Orders", None, &[
        ("Order status", "Thanks {contact.first_name}, I am checking your order now; one moment please."),
        ("Delivery time", "Orders ship within two working days and arrive within five."),
    ]),
    ("Returns", Some("Orders"), &[
        ("Return policy", "Returns are free within 60 days. I can send you a return label by email."),
        ("Refund timing", "Refunds reach your account 3 to 5 working days after we receive the parcel."),
    ]),
    ("Products", None, &[
        ("Sizing help", "Our size guide is on every product page; between two sizes, {contact.first_name}, take the larger one."),
    ]),
    ("Closing", None, &[
        ("Goodbye", "Thank you for chatting with us, {contact.first_name}. Have a great day! — {agent.name}"),
        ("Follow-up later", "I will come back to you here as soon as I know more; you will see my message on your next visit."),
    ]),
];

/// Seeds the demo data into an empty database.
pub async fn demo(store: &Store) -> Result<(), crate::ApiError> {
    let mut agents: Vec<AgentId> = Vec::new();
    let accounts = DEMO_AGENTS
        .map(|(login, password, name, capacity)| {
            (login, password, name, capacity, wire::Role::Agent)
        })
        .into_iter()
        .chain(DEMO_STAFF.map(|(login, password, name, role)| (login, password, name, 3, role)));
    for (login, password, name, capacity, role) in accounts {
        let hash = tokio::task::spawn_blocking(move || hash_password(password))
            .await
            .map_err(|e| crate::ApiError::Internal(e.to_string()))??;
        let id = store
            .create_agent(login, name, &hash, capacity, role)
            .await?;
        if role == wire::Role::Agent {
            agents.push(id);
        }
    }
    let mut categories = std::collections::HashMap::new();
    for (name, parent, items) in RESPONSES {
        let parent = parent.and_then(|p| categories.get(p).copied());
        let id = store.add_category(parent, name).await?;
        categories.insert(name, id);
        for (title, body) in items {
            store.add_response(id, title, body).await?;
        }
    }
    let now = now_ms();
    let day = 24 * 3600 * 1000;
    for c in demo_contacts() {
        let contact = store
            .create_contact(c.first, c.last, c.email, std::slice::from_ref(&c.identity))
            .await?;
        for (channel, agent_idx, days_ago, lines) in c.chats {
            let agent = agents[*agent_idx];
            let start = now - days_ago * day;
            let mut messages = Vec::new();
            for (i, (who, text, image)) in lines.iter().enumerate() {
                let author = (*who > 0).then(|| agents[usize::from(*who) - 1]);
                let owner = author.map_or(AuthorKey::Contact(contact), AuthorKey::Agent);
                let attachment = match image {
                    Some(name) => Some(seed_image(store, name, owner).await?),
                    None => None,
                };
                messages.push(ImportedMessage {
                    agent: author,
                    text: (*text).to_owned(),
                    attachment,
                    at: start + i64::try_from(i).unwrap_or(0) * 90_000,
                });
            }
            store
                .import_interaction(&ImportedInteraction {
                    contact,
                    channel: *channel,
                    agent: Some(agent),
                    disposition: Some(DispositionCode("resolved".into())),
                    messages,
                })
                .await?;
        }
    }
    store.mark_history_read().await?;
    Ok(())
}

async fn seed_image(
    store: &Store,
    name: &str,
    owner: AuthorKey,
) -> Result<AttachmentId, crate::ApiError> {
    let bytes: &[u8] = match name {
        "boot.png" => include_bytes!("../assets/seed/boot.png"),
        "jacket.png" => include_bytes!("../assets/seed/jacket.png"),
        _ => include_bytes!("../assets/seed/receipt.png"),
    };
    let checked = check(bytes, usize::MAX)?;
    let view = store
        .store_attachment(NewAttachment {
            owner,
            content_type: checked.content_type,
            width: checked.width,
            height: checked.height,
            sha256: sha256_hex(bytes),
            file_name: name.to_owned(),
            bytes: bytes.to_vec(),
            file_key: new_file_key(),
        })
        .await?;
    Ok(view.id)
}
