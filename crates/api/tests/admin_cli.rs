//! The `threadline-api admin` commands, run as the real binary against a fresh database (a
//! temporary SQLite file, and a new PostgreSQL database when `THREADLINE_TEST_PG` is set);
//! their accounts then log in through the real server.

mod common;

use common::{Backend, Server, TestDb};
use serde_json::{json, Value};
use std::io::Write;
use std::process::{Command, Stdio};

/// What one run of the binary did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `threadline-api --database-url URL admin ARGS`, writing `stdin` to it.
fn admin(db: &TestDb, args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_threadline-api"))
        .arg("admin")
        .args(args)
        .arg("--database-url")
        .arg(&db.url)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start threadline-api");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn create(db: &TestDb, login: &str, role: &str, password: &str) -> Run {
    admin(
        db,
        &[
            "create",
            "--login",
            login,
            "--name",
            "Pat Example",
            "--role",
            role,
            "--capacity",
            "4",
            "--password-stdin",
        ],
        &format!("{password}\n"),
    )
}

/// A server without demo data over `db`.
async fn start(db: TestDb) -> Server {
    Server::start_on(db, |c| {
        c.seed_demo = false;
        c.identity_secret = "a-test-identity-secret-of-32-bytes-or-more".into();
    })
    .await
}

async fn login(server: &Server, login: &str, password: &str) -> (u16, Value) {
    server
        .call(
            reqwest::Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"login": login, "password": password})),
        )
        .await
}

async fn create_logs_in_and_refusals(backend: Backend) {
    let db = common::fresh_db(backend).await;
    let made = create(&db, "pat.admin", "administrator", "a-long-password");
    assert_eq!(made.code, 0, "create: {}", made.stderr);
    assert!(made.stdout.contains("created pat.admin"), "{}", made.stdout);
    assert!(
        !made.stdout.contains("a-long-password") && !made.stderr.contains("a-long-password"),
        "the password is never printed"
    );

    let dup = create(&db, "pat.admin", "agent", "a-long-password");
    assert_eq!(dup.code, 1);
    assert!(dup.stderr.contains("already exists"), "{}", dup.stderr);

    let bad_role = create(&db, "rob", "boss", "a-long-password");
    assert_eq!(bad_role.code, 1);
    assert!(bad_role.stderr.contains("boss"), "{}", bad_role.stderr);

    let short = create(&db, "rob", "agent", "short");
    assert_eq!(short.code, 1);
    assert!(short.stderr.contains("at least 10"), "{}", short.stderr);

    let bad_login = create(&db, "Rob Smith", "agent", "a-long-password");
    assert_eq!(bad_login.code, 1);
    assert!(bad_login.stderr.contains("login"), "{}", bad_login.stderr);

    let no_terminal = admin(&db, &["create", "--login", "rob", "--name", "Rob"], "");
    assert_eq!(no_terminal.code, 1);
    assert!(
        no_terminal.stderr.contains("--password-stdin"),
        "{}",
        no_terminal.stderr
    );

    let server = start(db).await;
    let (status, body) = login(&server, "pat.admin", "a-long-password").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agent"]["role"], "administrator");
    assert_eq!(body["agent"]["capacity"], 4);
    let (status, _) = login(&server, "rob", "a-long-password").await;
    assert_eq!(status, 401, "refused accounts were not made");
    server.stop().await;
}

async fn list_deactivate_reactivate_reset(backend: Backend) {
    let db = common::fresh_db(backend).await;
    assert_eq!(
        create(&db, "boss", "administrator", "boss-password-1").code,
        0
    );
    assert_eq!(create(&db, "kim", "agent", "kim-password-1").code, 0);

    let list = admin(&db, &["list"], "");
    assert_eq!(list.code, 0, "{}", list.stderr);
    let lines: Vec<&str> = list.stdout.lines().collect();
    assert_eq!(lines[0], "login\tname\trole\tcapacity\tactive");
    assert_eq!(lines[1], "boss\tPat Example\tadministrator\t4\tyes");
    assert_eq!(lines[2], "kim\tPat Example\tagent\t4\tyes");

    let last = admin(&db, &["deactivate", "--login", "boss"], "");
    assert_eq!(last.code, 1, "the last administrator stays");
    assert!(
        last.stderr.contains("last active administrator"),
        "{}",
        last.stderr
    );

    let off = admin(&db, &["deactivate", "--login", "kim"], "");
    assert_eq!(off.code, 0, "{}", off.stderr);
    let list = admin(&db, &["list"], "");
    assert!(
        list.stdout.contains("kim\tPat Example\tagent\t4\tno"),
        "{}",
        list.stdout
    );
    let unknown = admin(&db, &["deactivate", "--login", "nobody"], "");
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("no account"), "{}", unknown.stderr);

    let server = start(db).await;
    let (status, _) = login(&server, "kim", "kim-password-1").await;
    assert_eq!(status, 401, "a deactivated account cannot log in");
    let db = server.stop().await;

    assert_eq!(admin(&db, &["reactivate", "--login", "kim"], "").code, 0);
    let reset = admin(
        &db,
        &["reset-password", "--login", "kim", "--password-stdin"],
        "kim-password-2\n",
    );
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    let short = admin(
        &db,
        &["reset-password", "--login", "kim", "--password-stdin"],
        "tiny\n",
    );
    assert_eq!(short.code, 1);

    let server = start(db).await;
    let (status, _) = login(&server, "kim", "kim-password-1").await;
    assert_eq!(status, 401, "the old password no longer works");
    let (status, body) = login(&server, "kim", "kim-password-2").await;
    assert_eq!(status, 200, "{body}");

    // Every change is in the audit log, made by nobody (the command line).
    let (status, body) = login(&server, "boss", "boss-password-1").await;
    assert_eq!(status, 200);
    let token = body["token"].as_str().expect("token").to_owned();
    let (status, audit) = server
        .call(
            reqwest::Method::GET,
            "/api/admin/audit?target_kind=agent",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{audit}");
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        [
            "agent.reset_password",
            "agent.reactivate",
            "agent.deactivate",
            "agent.create",
            "agent.create"
        ]
    );
    assert!(audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .all(|e| e["actor"].is_null()));
    assert_eq!(audit["entries"][2]["before"]["active"], true);
    assert_eq!(audit["entries"][2]["after"]["active"], false);
    assert!(!audit.to_string().contains("password_hash"));
    server.stop().await;
}

async fn import_agents_and_responses(backend: Backend) {
    let db = common::fresh_db(backend).await;
    let dir = tempfile::tempdir().expect("dir");
    let agents = dir.path().join("agents.csv");
    std::fs::write(
        &agents,
        "login,name,role,capacity,password\n\
         lee,Lee Lind,agent,2,lee-password-1\n\
         mo,\"Mo, the Supervisor\",supervisor,5,\n",
    )
    .expect("write");
    let run = admin(
        &db,
        &["import", "--file", agents.to_str().expect("path")],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("created lee (agent)\n"),
        "{}",
        run.stdout
    );
    let generated = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("created mo (supervisor); one-time password: "))
        .expect("a one-time password for mo")
        .to_owned();

    let responses = dir.path().join("responses.json");
    std::fs::write(
        &responses,
        json!({"responses": [
            {"category": "Shipping", "title": "Where is it", "body": "Hello {contact.first_name}, it ships today."},
            {"category": "Shipping", "title": "Customs", "body": "Duties are included."}
        ]})
        .to_string(),
    )
    .expect("write");
    let run = admin(
        &db,
        &["import", "--file", responses.to_str().expect("path")],
        "",
    );
    assert_eq!(run.code, 0, "{}", run.stderr);

    // A bad row imports nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "login,name,role,capacity\nnew1,New One,agent,3\nnew2,New Two,agent,99\n",
    )
    .expect("write");
    let run = admin(&db, &["import", "--file", bad.to_str().expect("path")], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("capacity"), "{}", run.stderr);
    // A field code the desktop could not fill is refused, like in the console.
    let unknown = dir.path().join("unknown.json");
    std::fs::write(
        &unknown,
        json!({"responses": [
            {"category": "Shipping", "title": "Typo", "body": "Hi {contact.firstname}"}
        ]})
        .to_string(),
    )
    .expect("write");
    let run = admin(
        &db,
        &["import", "--file", unknown.to_str().expect("path")],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("{contact.firstname}"), "{}", run.stderr);
    let other = dir.path().join("agents.txt");
    std::fs::write(&other, "x").expect("write");
    let run = admin(
        &db,
        &["import", "--file", other.to_str().expect("path")],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains(".csv or .json"), "{}", run.stderr);

    let server = start(db).await;
    let (status, body) = login(&server, "lee", "lee-password-1").await;
    assert_eq!(status, 200, "{body}");
    let lee = body["token"].as_str().expect("token").to_owned();
    let (status, body) = login(&server, "mo", &generated).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agent"]["display_name"], "Mo, the Supervisor");
    assert_eq!(body["agent"]["role"], "supervisor");
    let (status, _) = login(&server, "new1", "any-password-1").await;
    assert_eq!(status, 401);
    let (status, tree) = server
        .call(reqwest::Method::GET, "/api/responses", Some(&lee), None)
        .await;
    assert_eq!(status, 200, "{tree}");
    let text = tree.to_string();
    assert!(
        text.contains("Shipping") && text.contains("Where is it") && text.contains("Customs"),
        "{text}"
    );
    server.stop().await;
}

/// `admin erase-contact` beside a running server: refused while the contact's chat is open
/// (exit 1, nothing changed), then, once it is Done, `admin export-contact` prints her as JSON
/// and the erasure is done; the server's agents are told, as
/// when an administrator erases through the API (`tests/contact_erasure.rs`).
async fn erase_contact_beside_the_server(backend: Backend) {
    use common::Caller;
    let server = Server::start(backend, |_| {}).await;
    let ann = server.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    let kim = server.visitor("Kim Zeller").await;
    kim.say("please forget me").await;
    let chat = ann.take_offer(&mut events, "Kim's chat").await.id;
    let id = kim.contact.to_string();

    let refused = admin(&server.db, &["erase-contact", "--contact", &id], "");
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("Mark Done"), "{}", refused.stderr);
    let (status, _) = kim
        .call(reqwest::Method::GET, "/api/visitor/conversation", None)
        .await;
    assert_eq!(status, 200, "nothing changed");

    ann.finish(chat).await;
    let export = admin(&server.db, &["export-contact", "--contact", &id], "");
    assert_eq!(export.code, 0, "{}", export.stderr);
    let export: wire::api::ContactExport =
        serde_json::from_str(&export.stdout).expect("the export is JSON");
    assert_eq!(export.contact.display_name(), "Kim Zeller");
    assert!(export.messages.iter().any(|m| m.text == "please forget me"));
    let done = admin(&server.db, &["erase-contact", "--contact", &id], "");
    assert_eq!(done.code, 0, "{}", done.stderr);
    assert!(
        done.stdout
            .starts_with(&format!("erased contact {id} (chats: 1, messages: ")),
        "{}",
        done.stdout
    );
    events
        .until("contact_erased", |e| {
            matches!(e, wire::Event::ContactErased { contact_id } if *contact_id == kim.contact)
        })
        .await;
    let (status, _) = kim
        .call(reqwest::Method::GET, "/api/visitor/conversation", None)
        .await;
    assert_eq!(status, 401, "her session is gone");

    let again = admin(&server.db, &["erase-contact", "--contact", &id], "");
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("contact not found"),
        "{}",
        again.stderr
    );
}

/// The two ids `admin mark-restored` printed: where the log it was copied from may have gone
/// on (`after`) and where this one goes on (`up_to`).
fn marked_gap(stdout: &str) -> (i64, i64) {
    let number_after = |label: &str| -> i64 {
        stdout
            .split_once(label)
            .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {label:?} in {stdout}"))
    };
    (
        number_after("saw an event after id "),
        number_after("goes on after id "),
    )
}

/// Opens `who`'s stream from `last` (an agent's or a visitor's) and returns its first event.
async fn first_event_from(
    who: &(impl common::Caller + Sync),
    visitor: bool,
    last: wire::EventId,
) -> wire::EventEnvelope {
    let (ticket, path) = if visitor {
        ("/api/visitor/events/ticket", "/api/visitor/events")
    } else {
        ("/api/events/ticket", "/api/events")
    };
    let mut events = who.stream(ticket, path, Some(last)).await;
    events.until("the first event", |_| true).await
}

/// `admin mark-restored` on a database a server runs on (as after `pg_restore`): it says
/// which ids the log leaves out, the server's next events come after them, a client holding
/// an id in the gap (one the database it was copied from gave) gets `resync`, and one that
/// saw everything up to the copy replays what came after, with no `resync`.
async fn mark_restored_beside_the_server(backend: Backend) {
    use common::Caller;
    use wire::{Event, EventId};
    let server = Server::start(backend, |_| {}).await;
    let ann = server.agent("ann").await;
    let mut events = ann.events().await;
    ann.ready().await;
    events
        .until("Ann's status", |e| matches!(e, Event::Status { .. }))
        .await;

    let run = admin(&server.db, &["mark-restored"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (after, up_to) = marked_gap(&run.stdout);
    assert!(
        after >= events.last.0,
        "{} against {}",
        run.stdout,
        events.last.0
    );
    assert_eq!(up_to - after, threadline_api::store::RESTORE_GAP);

    let kim = server.visitor("Kim Restored").await;
    let said = kim.say("Is anyone there after the restore?").await;
    // Rows made after the mark take ids past the gap too, each above what its table gave.
    let gap = threadline_api::store::RESTORE_GAP;
    assert!(said.id.0 > gap, "{:?}", said.id);
    assert!(said.contact_id.0 > gap, "{:?}", said.contact_id);
    assert!(said.interaction_id.0 > gap, "{:?}", said.interaction_id);
    assert!(
        run.stdout.contains("get new ids after a gap"),
        "{}",
        run.stdout
    );
    let offer = events
        .until("Kim's offer", |e| matches!(e, Event::Offer { .. }))
        .await;
    assert!(
        offer.id.0 > up_to,
        "{} is past the gap to {up_to}",
        offer.id.0
    );

    for inside in [after + 1, after + 1000, up_to] {
        let first = first_event_from(&ann, false, EventId(inside)).await;
        assert_eq!(first.event, Event::Resync, "from {inside}");
    }
    let first = first_event_from(&ann, false, EventId(after)).await;
    assert_ne!(first.event, Event::Resync, "from the copy's last id");
    assert!(first.id.0 > up_to, "{first:?}");
    let mut replay = ann
        .stream("/api/events/ticket", "/api/events", Some(EventId(after)))
        .await;
    replay
        .until("Kim's offer again", |e| matches!(e, Event::Offer { .. }))
        .await;
    assert!(
        !replay.seen.iter().any(|e| e.event == Event::Resync),
        "{:?}",
        replay.seen
    );
    server.stop().await;
}

on_both!(
    create_logs_in_and_refusals,
    list_deactivate_reactivate_reset,
    import_agents_and_responses,
    erase_contact_beside_the_server,
    mark_restored_beside_the_server,
);

/// A PostgreSQL URL on the test server naming database `name` as role `user`.
fn pg_url_for(user: &str, name: &str) -> Option<String> {
    let base = common::pg_url()?;
    let (prefix, _) = base.rsplit_once('/')?;
    let (scheme, rest) = prefix.split_once("://")?;
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    Some(format!("{scheme}://{user}@{host}/{name}"))
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_missing_{nanos}", std::process::id())
}

/// A URL naming a database the PostgreSQL server does not have: the database is made when the
/// role may; otherwise the command says exactly what to run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_postgres_database() {
    let Some(base) = common::pg_url() else {
        eprintln!("THREADLINE_TEST_PG is not set: not run");
        return;
    };
    let name = unique("threadline_t");
    let url = pg_url_for("postgres", &name).expect("url");
    let db = TestDb::existing(url.clone());
    let run = admin(&db, &["list"], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("login\tname"), "{}", run.stdout);
    let made = create(&db, "pg.admin", "administrator", "pg-admin-password");
    assert_eq!(made.code, 0, "{}", made.stderr);

    // A role that may not create databases is told what to run.
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
        .await
        .expect("connect");
    let role = unique("tl_nocreate");
    sqlx::query(&format!("CREATE ROLE {role} LOGIN NOCREATEDB"))
        .execute(&mut conn)
        .await
        .expect("create role");
    let other = unique("threadline_t");
    let denied = TestDb::existing(pg_url_for(&role, &other).expect("url"));
    let run = admin(&denied, &["list"], "");
    let _ = sqlx::query(&format!("DROP ROLE {role}"))
        .execute(&mut conn)
        .await;
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(&format!(
            "the PostgreSQL database \"{other}\" does not exist"
        )) && run.stderr.contains(&format!(
            "createdb -h 127.0.0.1 -p 5432 -U postgres -O {role} {other}"
        )) && run
            .stderr
            .contains(&format!("CREATE DATABASE \"{other}\" OWNER \"{role}\";")),
        "{}",
        run.stderr
    );
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await;
}

/// `admin backup` while the server writes: the copy is whole (a message and a picture sent
/// just before, still in the write-ahead log), owner-only, refused over an existing file, and
/// a server started on it serves what was written, picture included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_writes() {
    use common::Caller;
    let server = Server::start(Backend::Sqlite, |_| {}).await;
    let visitor = server.visitor("Rosa Backup").await;
    let said = visitor.say("Please keep this one safe").await;
    let (status, up) = common::upload(
        &server,
        &visitor.token,
        "/api/visitor/attachments",
        common::tiny_png(),
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {up}");
    let picture: wire::visitor::VisitorMessage = visitor
        .post(
            "/api/visitor/messages",
            json!({"client_id": common::client_id(), "text": "", "attachment_id": up["id"]}),
        )
        .await;
    let url = picture.attachment.expect("a picture").url;

    let mut seen = visitor.events().await;
    let copied_at = seen.last;

    let folder = tempfile::tempdir().expect("temp dir");
    let copy = folder.path().join("copy.db");
    let copy_arg = copy.to_str().expect("utf-8");
    let db = TestDb::existing(server.db.url.clone());
    let run = admin(&db, &["backup", "--to", copy_arg], "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with(&format!("backed up to {copy_arg}: "))
            && run.stdout.contains("; checked"),
        "{}",
        run.stdout
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).expect("copy").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner reads a copy");
    }
    let beside: Vec<_> = std::fs::read_dir(folder.path())
        .expect("the folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    assert_eq!(beside, ["copy.db"], "one file, with nothing beside it");

    // An existing file is never overwritten.
    let before = std::fs::read(&copy).expect("read copy");
    let again = admin(&db, &["backup", "--to", copy_arg], "");
    assert_eq!(again.code, 1);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read(&copy).expect("read copy"), before);
    // Nor is a folder that is not there made up.
    let nowhere = folder.path().join("missing").join("copy.db");
    let run = admin(
        &db,
        &["backup", "--to", nowhere.to_str().expect("utf-8")],
        "",
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("cannot create"), "{}", run.stderr);
    // The server goes on after the copy: the visitor sees a message the copy never had.
    visitor.say("Written after the copy").await;
    let lost = seen
        .message("the message after the copy", |m| {
            m.text == "Written after the copy"
        })
        .await;
    let lost_at = seen.last;
    server.stop().await;

    // A server on the copy: the visitor's token, conversation and picture are all there.
    let restored = Server::start_on(
        TestDb::existing(threadline_api::Config::sqlite_url(&copy)),
        |_| {},
    )
    .await;
    let (status, page) = restored
        .call(
            reqwest::Method::GET,
            "/api/visitor/conversation",
            Some(&visitor.token),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let text = page.to_string();
    assert!(text.contains("Please keep this one safe"), "{page}");
    assert!(text.contains(&said.id.to_string()), "{page}");
    let bytes = reqwest::get(format!("{}{url}", restored.base))
        .await
        .expect("picture")
        .bytes()
        .await
        .expect("picture bytes");
    assert_eq!(bytes.as_ref(), common::tiny_png().as_slice());
    assert!(!text.contains(&lost.text), "the copy never had it: {page}");

    // Restored, the log goes on past every id the original gave: the visitor's widget, which
    // saw the message the copy lost, reloads; one that saw only what the copy has replays
    // the restored server's news.
    let back = visitor.on(&restored);
    let anew = back.say("Written after the restore").await;
    // The message the copy lost kept its id out of the restored database's hands: a portal
    // or a widget that holds it never finds another message under it.
    assert!(
        anew.id.0 > lost.id.0 + threadline_api::store::RESTORE_GAP / 2,
        "{:?} after the lost {:?}",
        anew.id,
        lost.id
    );
    let first = first_event_from(&back, true, lost_at).await;
    assert_eq!(first.event, wire::Event::Resync, "from {lost_at:?}");
    let mut replay = back
        .stream(
            "/api/visitor/events/ticket",
            "/api/visitor/events",
            Some(copied_at),
        )
        .await;
    replay
        .message("the message after the restore", |m| {
            m.text == "Written after the restore"
        })
        .await;
    assert!(
        !replay.seen.iter().any(|e| e.event == wire::Event::Resync),
        "{:?}",
        replay.seen
    );
    restored.stop().await;
}

/// On PostgreSQL the command refuses, names `pg_dump`, and does not touch the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_postgres_points_to_pg_dump() {
    if common::pg_url().is_none() {
        eprintln!("THREADLINE_TEST_PG is not set: not run");
        return;
    }
    let name = unique("threadline_t");
    let db = TestDb::existing(pg_url_for("postgres", &name).expect("url"));
    let folder = tempfile::tempdir().expect("temp dir");
    let copy = folder.path().join("copy.db");
    let run = admin(&db, &["backup", "--to", copy.to_str().expect("utf-8")], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("pg_dump"), "{}", run.stderr);
    assert!(!copy.exists(), "no file is made");
    // The database was not even made (a backup never migrates).
    let base = common::pg_url().expect("pg");
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
        .await
        .expect("connect");
    let found = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await
        .expect("query");
    assert!(found.is_none(), "{name} was created");
}
