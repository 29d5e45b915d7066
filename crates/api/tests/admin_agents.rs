//! Account administration over the API (administrators only): the list, creating, editing,
//! deactivating (work requeued, sessions ended, never offered work), reactivating, resetting
//! passwords, the last administrator kept, and the audit log with its filters and pages.

mod common;

use common::{Agent, Backend, Caller, Server};
use reqwest::Method;
use serde_json::{json, Value};
use wire::accounts::{AccountList, AccountView, AuditPage};
use wire::{AgentId, ChatStatus, Role};

async fn login(s: &Server, login: &str, password: &str) -> (u16, Value) {
    s.call(
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"login": login, "password": password})),
    )
    .await
}

async fn account(ada: &Agent, login: &str) -> AccountView {
    let list: AccountList = ada.get("/api/admin/agents").await;
    list.accounts
        .into_iter()
        .find(|a| a.agent.login == login)
        .expect("the account is listed")
}

async fn only_administrators(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let sam = s.agent("sam").await;
    let ada = s.agent("ada").await;
    let routes: [(Method, String, Option<Value>); 7] = [
        (Method::GET, "/api/admin/agents".into(), None),
        (
            Method::POST,
            "/api/admin/agents".into(),
            Some(
                json!({"login": "zoe", "display_name": "Zoe", "role": "agent", "capacity": 2, "password": "zoe-password-1"}),
            ),
        ),
        (
            Method::PATCH,
            format!("/api/admin/agents/{}", ann.id),
            Some(json!({"capacity": 4})),
        ),
        (
            Method::POST,
            format!("/api/admin/agents/{}/deactivate", ann.id),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/agents/{}/reactivate", ann.id),
            None,
        ),
        (
            Method::POST,
            format!("/api/admin/agents/{}/password", ann.id),
            Some(json!({"password": "another-pass-1"})),
        ),
        (Method::GET, "/api/admin/audit".into(), None),
    ];
    for (method, path, body) in &routes {
        let (status, v) = s.call(method.clone(), path, None, body.clone()).await;
        assert_eq!(status, 401, "anonymous {method} {path}: {v}");
        for who in [&ann, &sam] {
            let (status, v) = who.call(method.clone(), path, body.clone()).await;
            assert_eq!(status, 403, "{method} {path}: {v}");
            assert_eq!(v["error"]["code"], "forbidden");
        }
    }
    // Nothing was changed by the refused calls.
    assert!(ann.get::<Value>("/api/me").await["capacity"] == 3);
    let page: AuditPage = ada.get("/api/admin/audit").await;
    assert!(page.entries.is_empty(), "{:?}", page.entries);
    // The first-run check is public.
    let (status, v) = s.call(Method::GET, "/api/setup", None, None).await;
    assert_eq!((status, v), (200, json!({"has_accounts": true})));
    s.stop().await;
}

async fn create_edit_and_log_in(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let new = json!({"login": "dee.d", "display_name": "Dee Dunn", "role": "agent", "capacity": 2, "password": "dee-password-1"});
    let (status, made) = ada
        .call(Method::POST, "/api/admin/agents", Some(new.clone()))
        .await;
    assert_eq!(status, 201, "{made}");
    let made: AccountView = serde_json::from_value(made).expect("account");
    assert_eq!((made.agent.capacity, made.active), (2, true));
    assert!(!serde_json::to_string(&made)
        .expect("json")
        .contains("password"));
    let (status, v) = ada
        .call(Method::POST, "/api/admin/agents", Some(new.clone()))
        .await;
    assert_eq!(status, 409, "a login is taken once: {v}");

    for (field, bad) in [
        ("login", json!("Dee D")),
        ("login", json!("")),
        ("display_name", json!(" ")),
        ("display_name", json!("Dee\u{202e}Dunn")),
        ("capacity", json!(0)),
        ("capacity", json!(51)),
        ("password", json!("short")),
        ("role", json!("owner")),
    ] {
        let mut body = new.clone();
        body["login"] = json!("eve");
        body[field] = bad.clone();
        let (status, v) = ada
            .call(Method::POST, "/api/admin/agents", Some(body))
            .await;
        assert_eq!(status, 400, "{field} = {bad}: {v}");
        assert_eq!(v["error"]["code"], "invalid_input", "{v}");
    }

    let (status, body) = login(&s, "dee.d", "dee-password-1").await;
    assert_eq!(status, 200, "{body}");
    let dee_token = body["token"].as_str().expect("token").to_owned();

    let path = format!("/api/admin/agents/{}", made.agent.id);
    let (status, v) = ada
        .call(
            Method::PATCH,
            &path,
            Some(json!({"display_name": "Dee Dunn-Lee", "capacity": 5, "role": "supervisor"})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = ada
        .call(Method::PATCH, &path, Some(json!({"capacity": 0})))
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = ada
        .call(
            Method::PATCH,
            "/api/admin/agents/999999",
            Some(json!({"capacity": 3})),
        )
        .await;
    assert_eq!(status, 404, "{v}");
    // The change applies to the account's next request.
    let (status, me) = s.call(Method::GET, "/api/me", Some(&dee_token), None).await;
    assert_eq!(status, 200);
    assert_eq!(me["display_name"], "Dee Dunn-Lee");
    assert_eq!(me["capacity"], 5);
    assert_eq!(me["role"], "supervisor");

    let page: AuditPage = ada
        .get(&format!(
            "/api/admin/audit?target_kind=agent&target_id={}",
            made.agent.id
        ))
        .await;
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["agent.update", "agent.create"]);
    let update = &page.entries[0];
    assert_eq!(update.actor, Some(ada.id));
    assert_eq!(update.actor_login.as_deref(), Some("ada"));
    let before = update.before.as_ref().expect("before");
    let after = update.after.as_ref().expect("after");
    assert_eq!(
        (before["capacity"].clone(), after["capacity"].clone()),
        (json!(2), json!(5))
    );
    assert_eq!(
        (before["role"].clone(), after["role"].clone()),
        (json!("agent"), json!("supervisor"))
    );
    assert!(page.entries[1].before.is_none());
    s.stop().await;
}

async fn deactivation_requeues_work_and_ends_sessions(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let ann = s.agent("ann").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let vera = s.visitor("Vera Visitor").await;
    vera.say("First question").await;
    let first = ann_ev.offer("first offer").await.interaction.id;
    let _: Value = ann
        .post(&format!("/api/interactions/{first}/accept"), json!({}))
        .await;
    let walt = s.visitor("Walt Visitor").await;
    walt.say("Second question").await;
    let second = ann_ev.offer("second offer").await.interaction.id;

    let (status, v) = ada
        .call(
            Method::POST,
            &format!("/api/admin/agents/{}/deactivate", ann.id),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let off: AccountView = serde_json::from_value(v).expect("account");
    assert!(!off.active);
    assert!(matches!(off.agent.status, ChatStatus::NotReady { .. }));
    assert_eq!(off.agent.open_interactions, 0, "nothing is held any more");
    let (status, _) = ann.call(Method::GET, "/api/me", None).await;
    assert_eq!(status, 401, "every session ended");
    let (status, _) = login(&s, "ann", "ann-pass-1").await;
    assert_eq!(status, 401, "a deactivated account cannot log in");
    let (status, v) = ada
        .call(
            Method::POST,
            &format!("/api/admin/agents/{}/deactivate", ann.id),
            None,
        )
        .await;
    assert_eq!(status, 409, "{v}");

    // Both chats wait for someone else; Ben gets them.
    let ben = s.agent("ben").await;
    let mut ben_ev = ben.events().await;
    ben.ready().await;
    let mut offered = vec![
        ben_ev.offer("a requeued chat").await.interaction.id,
        ben_ev.offer("the other requeued chat").await.interaction.id,
    ];
    offered.sort_unstable();
    let mut expected = vec![first, second];
    expected.sort_unstable();
    assert_eq!(offered, expected);

    // Reactivated, Ann logs in again, Not Ready.
    let (status, v) = ada
        .call(
            Method::POST,
            &format!("/api/admin/agents/{}/reactivate", ann.id),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = login(&s, "ann", "ann-pass-1").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["agent"]["status"]["state"], "not_ready");
    let page: AuditPage = ada
        .get(&format!(
            "/api/admin/audit?target_id={}&action=agent.deactivate",
            ann.id
        ))
        .await;
    assert_eq!(page.entries.len(), 1);
    assert_eq!(
        page.entries[0].before.as_ref().expect("before")["active"],
        true
    );
    assert_eq!(
        page.entries[0].after.as_ref().expect("after")["active"],
        false
    );
    s.stop().await;
}

async fn reset_password_ends_sessions(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let cleo = s.agent("cleo").await;
    let path = format!("/api/admin/agents/{}/password", cleo.id);
    let (status, v) = ada
        .call(Method::POST, &path, Some(json!({"password": "short"})))
        .await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = ada
        .call(
            Method::POST,
            &path,
            Some(json!({"password": "cleo-new-pass-1"})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, _) = cleo.call(Method::GET, "/api/me", None).await;
    assert_eq!(status, 401, "the old session ended");
    assert_eq!(login(&s, "cleo", "cleo-pass-1").await.0, 401);
    assert_eq!(login(&s, "cleo", "cleo-new-pass-1").await.0, 200);
    let page: AuditPage = ada
        .get("/api/admin/audit?action=agent.reset_password")
        .await;
    assert_eq!(page.entries.len(), 1);
    assert!(!format!("{:?}", page.entries[0]).contains("cleo-new-pass-1"));
    s.stop().await;
}

async fn the_last_administrator_stays(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let me = format!("/api/admin/agents/{}", ada.id);
    let (status, v) = ada
        .call(Method::POST, &format!("{me}/deactivate"), None)
        .await;
    assert_eq!(status, 409, "{v}");
    let (status, v) = ada
        .call(Method::PATCH, &me, Some(json!({"role": "supervisor"})))
        .await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(account(&ada, "ada").await.agent.role, Role::Administrator);
    // With a second administrator, either may go.
    let sam: AgentId = account(&ada, "sam").await.agent.id;
    let (status, _) = ada
        .call(
            Method::PATCH,
            &format!("/api/admin/agents/{sam}"),
            Some(json!({"role": "administrator"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, v) = ada
        .call(Method::PATCH, &me, Some(json!({"role": "supervisor"})))
        .await;
    assert_eq!(status, 200, "{v}");
    // Ada is no administrator now: her next call is refused.
    let (status, _) = ada.call(Method::GET, "/api/admin/agents", None).await;
    assert_eq!(status, 403);
    s.stop().await;
}

async fn audit_filters_and_pages(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let ben = s.agent("ben").await;
    let start = common::now_ms();
    for capacity in 1..=5 {
        let (status, _) = ada
            .call(
                Method::PATCH,
                &format!("/api/admin/agents/{}", ben.id),
                Some(json!({"capacity": capacity})),
            )
            .await;
        assert_eq!(status, 200);
    }
    let mut seen = Vec::new();
    let mut path = "/api/admin/audit?limit=2&action=agent.update".to_owned();
    loop {
        let page: AuditPage = ada.get(&path).await;
        assert!(page.entries.len() <= 2);
        seen.extend(page.entries.iter().map(|e| (e.id, e.after.clone())));
        match page.next_before {
            Some(before) => {
                path = format!("/api/admin/audit?limit=2&action=agent.update&before={before}");
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 5);
    assert!(seen.windows(2).all(|w| w[0].0 > w[1].0), "newest first");
    let capacities: Vec<Value> = seen
        .iter()
        .map(|(_, after)| after.as_ref().expect("after")["capacity"].clone())
        .collect();
    assert_eq!(
        capacities,
        [json!(5), json!(4), json!(3), json!(2), json!(1)]
    );

    let by_ada: AuditPage = ada.get(&format!("/api/admin/audit?actor={}", ada.id)).await;
    assert_eq!(by_ada.entries.len(), 5);
    let by_ben: AuditPage = ada.get("/api/admin/audit?actor=999999").await;
    assert!(by_ben.entries.is_empty());
    let later: AuditPage = ada
        .get(&format!(
            "/api/admin/audit?from={}",
            common::now_ms() + 60_000
        ))
        .await;
    assert!(later.entries.is_empty());
    let window: AuditPage = ada
        .get(&format!(
            "/api/admin/audit?from={start}&to={}",
            common::now_ms() + 1
        ))
        .await;
    assert_eq!(window.entries.len(), 5);
    for bad in ["limit=0", "limit=100000", "from=soon", "action=a%00b"] {
        let (status, v) = ada
            .call(Method::GET, &format!("/api/admin/audit?{bad}"), None)
            .await;
        assert_eq!(status, 400, "{bad}: {v}");
    }
    s.stop().await;
}

on_both!(
    only_administrators,
    create_edit_and_log_in,
    deactivation_requeues_work_and_ends_sessions,
    reset_password_ends_sessions,
    the_last_administrator_stays,
    audit_filters_and_pages
);
