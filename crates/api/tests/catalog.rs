//! Catalog administration over the API (administrators only): standard response categories
//! (create, rename, move, delete only when empty) and responses (field codes checked, titles
//! unique per category), disposition codes and Not Ready reasons (add, relabel, reorder,
//! retire), each change in the audit log with before and after, and agents seeing the result
//! on their next load.

mod common;

use common::{Agent, Backend, Caller, Server};
use reqwest::Method;
use serde_json::{json, Value};
use wire::accounts::AuditPage;
use wire::api::ResponseTree;
use wire::catalog::{CodeList, CodeView};
use wire::{CategoryView, StandardResponse};

/// Calls and expects `want`, returning the body.
async fn expect(who: &Agent, method: Method, path: &str, body: Option<Value>, want: u16) -> Value {
    let (status, v) = who.call(method.clone(), path, body).await;
    assert_eq!(status, want, "{method} {path}: {v}");
    v
}

/// The newest audit row of an action.
async fn last_audit(ada: &Agent, action: &str) -> wire::accounts::AuditRecord {
    let page: AuditPage = ada.get(&format!("/api/admin/audit?action={action}")).await;
    page.entries
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("an audit row for {action}"))
}

async fn responses_and_categories(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let ann = s.agent("ann").await;

    // Categories: a top-level one, a child, a duplicate name among siblings.
    let top: CategoryView = ada
        .post("/api/admin/response-categories", json!({"name": "Returns"}))
        .await;
    assert_eq!(top.parent_id, None);
    let child: CategoryView = ada
        .post(
            "/api/admin/response-categories",
            json!({"name": "Damaged items", "parent_id": top.id}),
        )
        .await;
    assert_eq!(child.parent_id, Some(top.id));
    let v = expect(
        &ada,
        Method::POST,
        "/api/admin/response-categories",
        Some(json!({"name": "Returns"})),
        409,
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("Returns"),
        "{v}"
    );
    // The same name under another parent is fine.
    let _: CategoryView = ada
        .post(
            "/api/admin/response-categories",
            json!({"name": "Returns", "parent_id": child.id}),
        )
        .await;
    expect(
        &ada,
        Method::POST,
        "/api/admin/response-categories",
        Some(json!({"name": "x", "parent_id": 999_999})),
        422,
    )
    .await;
    for bad in ["", "  ", "two\nlines", "\u{202E}evil", &"n".repeat(61)] {
        expect(
            &ada,
            Method::POST,
            "/api/admin/response-categories",
            Some(json!({"name": bad})),
            400,
        )
        .await;
    }

    // Rename and move; moving into its own sub-category is refused.
    let renamed: CategoryView = {
        let v = expect(
            &ada,
            Method::PUT,
            &format!("/api/admin/response-categories/{}", child.id),
            Some(json!({"name": "Damaged goods", "parent_id": top.id})),
            200,
        )
        .await;
        serde_json::from_value(v).expect("a category")
    };
    assert_eq!(renamed.name, "Damaged goods");
    let audit = last_audit(&ada, "category.update").await;
    assert_eq!(audit.target_id, child.id.to_string());
    assert_eq!(
        audit.before.as_ref().expect("before")["name"],
        "Damaged items"
    );
    assert_eq!(
        audit.after.as_ref().expect("after")["name"],
        "Damaged goods"
    );
    assert_eq!(audit.actor, Some(ada.id));
    let v = expect(
        &ada,
        Method::PUT,
        &format!("/api/admin/response-categories/{}", top.id),
        Some(json!({"name": "Returns", "parent_id": child.id})),
        409,
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("into itself"),
        "{v}"
    );
    // To the top level and back.
    expect(
        &ada,
        Method::PUT,
        &format!("/api/admin/response-categories/{}", child.id),
        Some(json!({"name": "Damaged goods"})),
        200,
    )
    .await;
    let tree: ResponseTree = ada.get("/api/responses").await;
    let moved = tree
        .categories
        .iter()
        .find(|c| c.id == child.id)
        .expect("listed");
    assert_eq!(moved.parent_id, None);
    expect(
        &ada,
        Method::PUT,
        "/api/admin/response-categories/999999",
        Some(json!({"name": "Nothing"})),
        404,
    )
    .await;

    // Responses: field codes checked, the unknown one named with the known ones.
    let body = "Hi {contact.first_name}, this is {agent.name}: your return label is on its way.";
    let made: StandardResponse = ada
        .post(
            "/api/admin/responses",
            json!({"category_id": top.id, "title": "Return label", "body": body}),
        )
        .await;
    let audit = last_audit(&ada, "standard_response.create").await;
    assert_eq!(audit.target_id, made.id.to_string());
    assert_eq!(audit.after.as_ref().expect("after")["body"], body);
    assert!(audit.before.is_none());
    let v = expect(
        &ada,
        Method::POST,
        "/api/admin/responses",
        Some(json!({"category_id": top.id, "title": "Bad", "body": "Hello {contact.nickname}"})),
        400,
    )
    .await;
    let message = v["error"]["message"].as_str().unwrap_or("").to_owned();
    assert!(message.contains("{contact.nickname}"), "{message}");
    assert!(
        message.contains("{contact.first_name}") && message.contains("{agent.name}"),
        "{message}"
    );
    for (title, text) in [
        ("", "text"),
        (&*"t".repeat(121), "text"),
        ("Title", ""),
        ("Title", &*"b".repeat(4001)),
        ("Title", "nul \u{0} here"),
        ("Two\nlines", "text"),
    ] {
        expect(
            &ada,
            Method::POST,
            "/api/admin/responses",
            Some(json!({"category_id": top.id, "title": title, "body": text})),
            400,
        )
        .await;
    }
    // Braces that are not field codes are ordinary text; multi-line text is fine.
    let _: StandardResponse = ada
        .post(
            "/api/admin/responses",
            json!({"category_id": top.id, "title": "Braces", "body": "Use {Code 12}\nor { }"}),
        )
        .await;
    expect(
        &ada,
        Method::POST,
        "/api/admin/responses",
        Some(json!({"category_id": top.id, "title": "Return label", "body": "again"})),
        409,
    )
    .await;
    expect(
        &ada,
        Method::POST,
        "/api/admin/responses",
        Some(json!({"category_id": 999_999, "title": "Nowhere", "body": "x"})),
        422,
    )
    .await;

    // The agent sees it on the next load; then an edit (moved to the child), seen too.
    let tree: ResponseTree = ann.get("/api/responses").await;
    assert!(tree
        .responses
        .iter()
        .any(|r| r.id == made.id && r.body == body));
    let edited = "Dear {contact.first_name} {contact.last_name}, {agent.name} here.";
    expect(
        &ada,
        Method::PUT,
        &format!("/api/admin/responses/{}", made.id),
        Some(json!({"category_id": child.id, "title": "Return label (new)", "body": edited})),
        200,
    )
    .await;
    let audit = last_audit(&ada, "standard_response.update").await;
    assert_eq!(
        audit.before.as_ref().expect("before")["title"],
        "Return label"
    );
    assert_eq!(
        audit.after.as_ref().expect("after")["title"],
        "Return label (new)"
    );
    assert_eq!(
        audit.after.as_ref().expect("after")["category_id"],
        child.id.0
    );
    let tree: ResponseTree = ann.get("/api/responses").await;
    let r = tree
        .responses
        .iter()
        .find(|r| r.id == made.id)
        .expect("listed");
    assert_eq!((r.body.as_str(), r.category_id), (edited, child.id));

    // A category with a response cannot go; once empty it can.
    let v = expect(
        &ada,
        Method::DELETE,
        &format!("/api/admin/response-categories/{}", child.id),
        None,
        409,
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("not empty"),
        "{v}"
    );
    expect(
        &ada,
        Method::DELETE,
        &format!("/api/admin/responses/{}", made.id),
        None,
        204,
    )
    .await;
    let audit = last_audit(&ada, "standard_response.delete").await;
    assert!(audit.after.is_none());
    assert_eq!(audit.before.as_ref().expect("before")["body"], edited);
    expect(
        &ada,
        Method::DELETE,
        &format!("/api/admin/responses/{}", made.id),
        None,
        404,
    )
    .await;
    // The child still holds its own "Returns" sub-category.
    expect(
        &ada,
        Method::DELETE,
        &format!("/api/admin/response-categories/{}", child.id),
        None,
        409,
    )
    .await;
    let tree: ResponseTree = ada.get("/api/responses").await;
    let grandchild = tree
        .categories
        .iter()
        .find(|c| c.parent_id == Some(child.id))
        .expect("the sub-category");
    expect(
        &ada,
        Method::DELETE,
        &format!("/api/admin/response-categories/{}", grandchild.id),
        None,
        204,
    )
    .await;
    expect(
        &ada,
        Method::DELETE,
        &format!("/api/admin/response-categories/{}", child.id),
        None,
        204,
    )
    .await;
    let audit = last_audit(&ada, "category.delete").await;
    assert_eq!(audit.target_id, child.id.to_string());
    assert_eq!(
        audit.before.as_ref().expect("before")["name"],
        "Damaged goods"
    );
    let tree: ResponseTree = ann.get("/api/responses").await;
    assert!(!tree.categories.iter().any(|c| c.id == child.id));
    assert!(!tree.responses.iter().any(|r| r.id == made.id));
}

async fn codes(who: &Agent, path: &str) -> Vec<CodeView> {
    who.get::<CodeList>(path).await.codes
}

async fn dispositions_and_reasons(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let ann = s.agent("ann").await;

    for (path, kind) in [
        ("/api/admin/dispositions", "disposition"),
        ("/api/admin/not-ready-reasons", "not_ready_reason"),
    ] {
        let before = codes(&ada, path).await;
        assert!(
            before.len() >= 5 && before.iter().all(|c| c.active),
            "{before:?}"
        );
        // Add: last in order; a taken code or label, or a bad code, is refused.
        let made: CodeView = ada
            .post(
                path,
                json!({"code": "warranty_claim", "label": "Warranty claim"}),
            )
            .await;
        assert!(made.active);
        let list = codes(&ada, path).await;
        assert_eq!(list.last().map(|c| c.code.as_str()), Some("warranty_claim"));
        let audit = last_audit(&ada, &format!("{kind}.create")).await;
        assert_eq!(
            (audit.target_kind.as_str(), audit.target_id.as_str()),
            (kind, "warranty_claim")
        );
        assert_eq!(
            audit.after.as_ref().expect("after")["label"],
            "Warranty claim"
        );
        expect(
            &ada,
            Method::POST,
            path,
            Some(json!({"code": "warranty_claim", "label": "Other"})),
            409,
        )
        .await;
        expect(
            &ada,
            Method::POST,
            path,
            Some(json!({"code": "other_one", "label": "Warranty claim"})),
            409,
        )
        .await;
        for (code, label) in [
            ("Bad Code", "x"),
            ("9lives", "x"),
            ("", "x"),
            ("ok_code", ""),
            ("ok_code", &*"l".repeat(61)),
            ("ok_code", "line\nbreak"),
        ] {
            expect(
                &ada,
                Method::POST,
                path,
                Some(json!({"code": code, "label": label})),
                400,
            )
            .await;
        }

        // Relabel.
        let v = expect(
            &ada,
            Method::PATCH,
            &format!("{path}/warranty_claim"),
            Some(json!({"label": "Warranty"})),
            200,
        )
        .await;
        assert_eq!(v["label"], "Warranty");
        let audit = last_audit(&ada, &format!("{kind}.update")).await;
        assert_eq!(
            audit.before.as_ref().expect("before")["label"],
            "Warranty claim"
        );
        assert_eq!(audit.after.as_ref().expect("after")["label"], "Warranty");
        expect(
            &ada,
            Method::PATCH,
            &format!("{path}/no_such_code"),
            Some(json!({"label": "x"})),
            404,
        )
        .await;
        expect(
            &ada,
            Method::PATCH,
            &format!("{path}/Bad%20Code"),
            Some(json!({"label": "x"})),
            400,
        )
        .await;

        // Reorder: the new one first; a partial or unknown list is refused.
        let mut order: Vec<String> = codes(&ada, path)
            .await
            .into_iter()
            .map(|c| c.code)
            .collect();
        order.rotate_right(1);
        let v = expect(&ada, Method::PUT, path, Some(json!({"codes": order})), 200).await;
        let got: CodeList = serde_json::from_value(v).expect("a list");
        assert_eq!(
            got.codes.iter().map(|c| c.code.clone()).collect::<Vec<_>>(),
            order
        );
        assert_eq!(order[0], "warranty_claim");
        let audit = last_audit(&ada, &format!("{kind}.reorder")).await;
        assert_eq!(audit.after.as_ref().expect("after")[0], "warranty_claim");
        expect(
            &ada,
            Method::PUT,
            path,
            Some(json!({"codes": order[1..].to_vec()})),
            422,
        )
        .await;
        let mut twice = order.clone();
        let first = twice[0].clone();
        twice[1] = first;
        expect(&ada, Method::PUT, path, Some(json!({"codes": twice})), 422).await;

        // Agents see it, first, on their next load of the configuration.
        let config: Value = ann.get("/api/config").await;
        let field = if kind == "disposition" {
            "dispositions"
        } else {
            "not_ready_reasons"
        };
        assert_eq!(config[field][0]["code"], "warranty_claim", "{config}");
        assert_eq!(config[field][0]["label"], "Warranty");

        // Retire: gone for agents, still listed for administrators; and back.
        expect(
            &ada,
            Method::PATCH,
            &format!("{path}/warranty_claim"),
            Some(json!({"active": false})),
            200,
        )
        .await;
        let audit = last_audit(&ada, &format!("{kind}.update")).await;
        assert_eq!(audit.before.as_ref().expect("before")["active"], true);
        assert_eq!(audit.after.as_ref().expect("after")["active"], false);
        let config: Value = ann.get("/api/config").await;
        assert!(
            !config[field]
                .as_array()
                .expect("a list")
                .iter()
                .any(|c| c["code"] == "warranty_claim"),
            "{config}"
        );
        let listed = codes(&ada, path).await;
        assert!(listed
            .iter()
            .any(|c| c.code == "warranty_claim" && !c.active));
    }

    // A retired reason cannot be chosen; brought back it can.
    let (status, v) = ann
        .call(
            Method::PUT,
            "/api/me/status",
            Some(json!({"status": {"state": "not_ready", "reason": "warranty_claim"}})),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    expect(
        &ada,
        Method::PATCH,
        "/api/admin/not-ready-reasons/warranty_claim",
        Some(json!({"active": true})),
        200,
    )
    .await;
    expect(
        &ann,
        Method::PUT,
        "/api/me/status",
        Some(json!({"status": {"state": "not_ready", "reason": "warranty_claim"}})),
        200,
    )
    .await;
    // Nor can the status logging out gives be chosen.
    let (status, v) = ann
        .call(
            Method::PUT,
            "/api/me/status",
            Some(json!({"status": {"state": "not_ready", "reason": "logged_out"}})),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    // The reason the server gives at logout stays.
    let v = expect(
        &ada,
        Method::PATCH,
        "/api/admin/not-ready-reasons/logged_out",
        Some(json!({"active": false})),
        409,
    )
    .await;
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("logged_out"),
        "{v}"
    );
}

/// A disposition used by a Done interaction can be retired: the interaction and the report
/// keep its code, and new Mark Done calls cannot choose it.
async fn retired_disposition_keeps_history(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ada = s.agent("ada").await;
    let ann = s.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    let visitor = s.visitor("Rita Reyes").await;
    visitor.say("where is my order?").await;
    let offer = events.offer("the offer").await;
    let id = offer.interaction.id;
    ann.accept(id).await;
    expect(
        &ann,
        Method::POST,
        &format!("/api/interactions/{id}/end"),
        None,
        200,
    )
    .await;
    expect(
        &ada,
        Method::PATCH,
        "/api/admin/dispositions/order_issue",
        Some(json!({"active": false})),
        200,
    )
    .await;
    let (status, v) = ann
        .call(
            Method::POST,
            &format!("/api/interactions/{id}/done"),
            Some(json!({"disposition": "order_issue"})),
        )
        .await;
    assert_eq!(status, 422, "{v}");
    expect(
        &ada,
        Method::PATCH,
        "/api/admin/dispositions/order_issue",
        Some(json!({"active": true})),
        200,
    )
    .await;
    expect(
        &ann,
        Method::POST,
        &format!("/api/interactions/{id}/done"),
        Some(json!({"disposition": "order_issue"})),
        200,
    )
    .await;
    expect(
        &ada,
        Method::PATCH,
        "/api/admin/dispositions/order_issue",
        Some(json!({"active": false})),
        200,
    )
    .await;
    let done: Value = ann.get(&format!("/api/interactions/{id}")).await;
    assert_eq!(done["disposition"], "order_issue", "{done}");
}

async fn only_administrators(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let sam = s.agent("sam").await;
    let ada = s.agent("ada").await;
    let tree: ResponseTree = ann.get("/api/responses").await;
    let category = tree.categories[0].id;
    let response = tree.responses[0].id;
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/admin/response-categories".into(),
            Some(json!({"name": "Sneaky"})),
        ),
        (
            Method::PUT,
            format!("/api/admin/response-categories/{category}"),
            Some(json!({"name": "Sneaky"})),
        ),
        (
            Method::DELETE,
            format!("/api/admin/response-categories/{category}"),
            None,
        ),
        (
            Method::POST,
            "/api/admin/responses".into(),
            Some(json!({"category_id": category, "title": "Sneaky", "body": "x"})),
        ),
        (
            Method::PUT,
            format!("/api/admin/responses/{response}"),
            Some(json!({"category_id": category, "title": "Sneaky", "body": "x"})),
        ),
        (
            Method::DELETE,
            format!("/api/admin/responses/{response}"),
            None,
        ),
        (Method::GET, "/api/admin/dispositions".into(), None),
        (
            Method::POST,
            "/api/admin/dispositions".into(),
            Some(json!({"code": "sneaky", "label": "Sneaky"})),
        ),
        (
            Method::PUT,
            "/api/admin/dispositions".into(),
            Some(json!({"codes": []})),
        ),
        (
            Method::PATCH,
            "/api/admin/dispositions/resolved".into(),
            Some(json!({"active": false})),
        ),
        (Method::GET, "/api/admin/not-ready-reasons".into(), None),
        (
            Method::POST,
            "/api/admin/not-ready-reasons".into(),
            Some(json!({"code": "sneaky", "label": "Sneaky"})),
        ),
        (
            Method::PUT,
            "/api/admin/not-ready-reasons".into(),
            Some(json!({"codes": []})),
        ),
        (
            Method::PATCH,
            "/api/admin/not-ready-reasons/break".into(),
            Some(json!({"active": false})),
        ),
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
    // Nothing changed, and nothing was audited.
    let after: ResponseTree = ann.get("/api/responses").await;
    assert_eq!(after, tree);
    let page: AuditPage = ada.get("/api/admin/audit").await;
    assert!(page.entries.is_empty(), "{:?}", page.entries);
}

on_both!(
    responses_and_categories,
    dispositions_and_reasons,
    retired_disposition_keeps_history,
    only_administrators
);

/// Two saves of the same name at the same moment on PostgreSQL (SQLite has one writer, so the
/// administration's own check sees the first): the test holds an uncommitted category and
/// label as another administrator's transaction would, the API's save waits on the unique
/// index and, once that commits, is refused with 409 (not stored twice, not a 500).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_name_saved_at_once_is_stored_once() {
    use sqlx::{Connection, Executor};
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: concurrent-save test not run");
        return;
    }
    let s = Server::start(Backend::Postgres, |_| {}).await;
    let ada = s.agent("ada").await;
    for (path, body, held) in [
        (
            "/api/admin/response-categories",
            json!({"name": "Twins"}),
            "INSERT INTO response_categories (parent_id, name) VALUES (NULL, 'Twins')",
        ),
        (
            "/api/admin/dispositions",
            json!({"code": "twin_api", "label": "Twins"}),
            "INSERT INTO dispositions (code, label, position, active) VALUES ('twin_test', 'Twins', 99, 1)",
        ),
    ] {
        let mut other = sqlx::AnyConnection::connect(&s.db.url)
            .await
            .expect("connect");
        other.execute("BEGIN").await.expect("begin");
        other.execute(held).await.expect("the held insert");
        let save = {
            let (base, token) = (s.base.clone(), ada.token.clone());
            tokio::spawn(async move {
                let resp = reqwest::Client::new()
                    .post(format!("{base}{path}"))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("request");
                let status = resp.status().as_u16();
                (status, resp.json::<Value>().await.unwrap_or(Value::Null))
            })
        };
        // Wait until the API's insert waits for the held row's transaction.
        let mut watch = sqlx::AnyConnection::connect(&s.db.url)
            .await
            .expect("connect");
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_locks WHERE NOT granted",
            )
            .fetch_one(&mut watch)
            .await
            .expect("pg_locks");
            if waiting > 0 {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline && !save.is_finished(),
                "{path}: the save did not wait for the held row"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        other.execute("COMMIT").await.expect("commit");
        let (status, answer) = save.await.expect("the save");
        assert_eq!(status, 409, "{path}: {answer}");
        assert_eq!(answer["error"]["code"], "conflict", "{answer}");
    }
}
