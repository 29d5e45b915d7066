//! `threadline-api admin …`: account administration from the command line, for the first
//! administrator on an empty database and for scripts. Each command opens the database the
//! server would (migrating it), makes its change through the same store operations as the
//! administration API (audited, with no actor), prints what it did and exits 1 with a clear
//! message when refused. Passwords come from a no-echo prompt or from stdin, never from an
//! argument (arguments are visible to every user of the machine). `admin backup` copies a
//! SQLite database while the server runs on it (the copy marked as one to restore), `admin
//! mark-restored` marks a database restored otherwise; `admin erase-contact` and `admin
//! export-contact` erase or print a contact at their request, as the administration API does.

use crate::auth::{hash_password, new_token};
use crate::store::{ImportedResponse, Store};
use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use wire::accounts::{AccountView, NewAccount};
use wire::Role;

/// What `threadline-api admin` does.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Creates an account (the first administrator, on an empty database).
    Create(CreateArgs),
    /// Lists the accounts: login, name, role, capacity, active.
    List,
    /// Deactivates an account: it cannot log in, its sessions end, offers to it go back to the
    /// queue.
    Deactivate(LoginArg),
    /// Lets a deactivated account log in again.
    Reactivate(LoginArg),
    /// Sets a new password for an account (prompted, or from stdin); its sessions end.
    ResetPassword(PasswordArgs),
    /// Imports agents and standard responses from a CSV or JSON file (by its extension).
    Import(ImportArgs),
    /// Copies a SQLite database, with its pictures, to a new file while servers run on it;
    /// the copy is checked and readable only by its owner.
    Backup(BackupArgs),
    /// Marks a restored database before servers start on it (after `pg_restore`, or a SQLite
    /// copy restored a second time; `backup` marks its copies itself): desktops and widgets
    /// that saw events of the database it was copied from after the copy reload what they
    /// show instead of waiting for them.
    MarkRestored,
    /// Erases a contact at their request: their details, identities, conversations, pictures
    /// and browser sessions (refused while a chat of theirs is not Done).
    EraseContact(ContactArg),
    /// Prints everything kept of a contact as JSON (their request to see it).
    ExportContact(ContactArg),
}

/// `admin create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The login name: 1 to 64 of a-z, 0-9, '.', '_', '-'.
    #[arg(long)]
    login: String,
    /// The display name.
    #[arg(long)]
    name: String,
    /// The role.
    #[arg(long, value_enum, default_value = "agent")]
    role: RoleArg,
    /// Chats at once (1 to 50).
    #[arg(long, default_value_t = 3)]
    capacity: u32,
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    password_stdin: bool,
}

/// An account named by login.
#[derive(Debug, Args)]
pub struct LoginArg {
    /// The account's login name.
    #[arg(long)]
    login: String,
}

/// `admin reset-password`.
#[derive(Debug, Args)]
pub struct PasswordArgs {
    /// The account's login name.
    #[arg(long)]
    login: String,
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    password_stdin: bool,
}

/// `admin import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A `.csv` (agents: login,name,role,capacity[,password]; or standard responses:
    /// category,title,body) or `.json` file (`{"agents": [...], "responses": [...]}`).
    #[arg(long)]
    file: PathBuf,
}

/// `admin backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The new file (it must not exist yet).
    #[arg(long)]
    to: PathBuf,
}

/// A contact named by id (`admin erase-contact`, `admin export-contact`).
#[derive(Debug, Args)]
pub struct ContactArg {
    /// The contact's id (the number after `/communication/` in the desktop's address).
    #[arg(long)]
    contact: i64,
}

/// A role as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Agent,
    Supervisor,
    Administrator,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Agent => Role::Agent,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Administrator => Role::Administrator,
        }
    }
}

/// Runs one admin command against the database at `database_url`.
pub async fn run(command: AdminCommand, database_url: &str) -> ExitCode {
    if matches!(command, AdminCommand::Backup(_)) && !database_url.starts_with("sqlite:") {
        // Before connecting: opening a database migrates it, which a backup must not do.
        eprintln!(
            "threadline-api admin: only a SQLite database is backed up by this command; back \
             up PostgreSQL with pg_dump (pg_dump --format=custom --file=threadline.dump \
             DATABASE_URL)"
        );
        return ExitCode::FAILURE;
    }
    let store = match Store::connect(database_url).await {
        Ok(s) => s.beside_the_server(),
        Err(e) => {
            eprintln!("threadline-api admin: cannot open the database: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match command {
        AdminCommand::Create(a) => create(&store, a).await,
        AdminCommand::List => list(&store).await,
        AdminCommand::Deactivate(a) => deactivate(&store, &a.login, true).await,
        AdminCommand::Reactivate(a) => deactivate(&store, &a.login, false).await,
        AdminCommand::ResetPassword(a) => reset_password(&store, a).await,
        AdminCommand::Import(a) => import(&store, &a.file).await,
        AdminCommand::Backup(a) => backup(&store, &a.to).await,
        AdminCommand::MarkRestored => mark_restored(&store).await,
        AdminCommand::EraseContact(a) => erase_contact(&store, a.contact).await,
        AdminCommand::ExportContact(a) => export_contact(&store, a.contact).await,
    };
    store.close().await;
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("threadline-api admin: {why}");
            ExitCode::FAILURE
        }
    }
}

/// A refusal or failure, said in words for the operator.
type Outcome = Result<(), String>;

fn said(e: crate::store::StoreError) -> String {
    use crate::store::StoreError;
    match e {
        StoreError::Conflict(m) | StoreError::Rejected(m) => m,
        StoreError::NotFound(what) => format!("{what} not found"),
        other => format!("the database failed: {other}"),
    }
}

async fn hash(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{e:?}"))
}

/// The password: the first line of stdin, or typed twice at a no-echo prompt.
fn read_password(from_stdin: bool) -> Result<String, String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(
            "no terminal to ask for the password on; pass it on stdin with --password-stdin"
                .to_owned(),
        );
    }
    let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
    let again = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
    if first != again {
        return Err("the two passwords differ".to_owned());
    }
    Ok(first)
}

async fn create(store: &Store, a: CreateArgs) -> Outcome {
    let mut new = NewAccount {
        login: a.login,
        display_name: a.name,
        role: a.role.into(),
        capacity: a.capacity,
        password: String::new(),
    };
    // Check the rest before asking for a password the operator would type for nothing.
    new.password = "x".repeat(wire::accounts::MIN_PASSWORD_CHARS);
    new.check()?;
    if store
        .account_by_login(&new.login)
        .await
        .map_err(said)?
        .is_some()
    {
        return Err(format!(
            "an account with the login {} already exists",
            new.login
        ));
    }
    new.password = read_password(a.password_stdin)?;
    new.check()?;
    let h = hash(std::mem::take(&mut new.password)).await?;
    let made = store.create_account(None, &new, &h).await.map_err(said)?;
    println!(
        "created {} ({}, {}, capacity {})",
        made.agent.login,
        made.agent.display_name,
        made.agent.role.as_str(),
        made.agent.capacity
    );
    Ok(())
}

async fn list(store: &Store) -> Outcome {
    let accounts = store.accounts().await.map_err(said)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "login\tname\trole\tcapacity\tactive");
    for a in accounts {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}",
            a.agent.login,
            a.agent.display_name,
            a.agent.role.as_str(),
            a.agent.capacity,
            if a.active { "yes" } else { "no" }
        );
    }
    Ok(())
}

async fn find(store: &Store, login: &str) -> Result<AccountView, String> {
    store
        .account_by_login(login)
        .await
        .map_err(said)?
        .ok_or_else(|| format!("no account with the login {login}"))
}

async fn deactivate(store: &Store, login: &str, deactivate: bool) -> Outcome {
    let id = find(store, login).await?.agent.id;
    if deactivate {
        store.deactivate_account(None, id).await.map_err(said)?;
        println!("deactivated {login}");
    } else {
        store.reactivate_account(None, id).await.map_err(said)?;
        println!("reactivated {login}");
    }
    Ok(())
}

async fn reset_password(store: &Store, a: PasswordArgs) -> Outcome {
    let id = find(store, &a.login).await?.agent.id;
    let password = read_password(a.password_stdin)?;
    wire::accounts::check_password(&password)?;
    store
        .reset_password(None, id, &hash(password).await?)
        .await
        .map_err(said)?;
    println!("set a new password for {}; their sessions ended", a.login);
    Ok(())
}

async fn erase_contact(store: &Store, contact: i64) -> Outcome {
    let erased = store
        .erase_contact(None, wire::ContactId(contact))
        .await
        .map_err(said)?;
    println!(
        "erased contact {contact} (chats: {}, messages: {}, pictures: {})",
        erased.interactions, erased.messages, erased.pictures
    );
    Ok(())
}

async fn export_contact(store: &Store, contact: i64) -> Outcome {
    let export = store
        .export_contact(None, wire::ContactId(contact))
        .await
        .map_err(said)?;
    let text = serde_json::to_string_pretty(&export).map_err(|e| e.to_string())?;
    println!("{text}");
    Ok(())
}

/// An agent in an import file.
#[derive(Debug, Deserialize)]
struct ImportAgent {
    login: String,
    name: String,
    role: Role,
    capacity: u32,
    /// None or empty: a one-time password is made and printed.
    #[serde(default)]
    password: Option<String>,
}

/// A standard response in an import file.
#[derive(Debug, Deserialize)]
struct ImportResponse {
    category: String,
    title: String,
    body: String,
}

/// A JSON import file.
#[derive(Debug, Default, Deserialize)]
struct ImportFile {
    #[serde(default)]
    agents: Vec<ImportAgent>,
    #[serde(default)]
    responses: Vec<ImportResponse>,
}

/// Reads an import file: JSON by its extension, else CSV whose header says what it holds.
fn read_import(path: &Path) -> Result<ImportFile, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "json" => serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
        "csv" => {
            let mut reader = csv::ReaderBuilder::new()
                .trim(csv::Trim::Headers)
                .from_reader(text.as_bytes());
            let headers = reader.headers().map_err(|e| e.to_string())?.clone();
            let mut file = ImportFile::default();
            if headers.iter().any(|h| h == "login") {
                for (i, row) in reader.deserialize().enumerate() {
                    file.agents
                        .push(row.map_err(|e| format!("{} row {}: {e}", path.display(), i + 2))?);
                }
            } else if headers.iter().any(|h| h == "category") {
                for (i, row) in reader.deserialize().enumerate() {
                    file.responses
                        .push(row.map_err(|e| format!("{} row {}: {e}", path.display(), i + 2))?);
                }
            } else {
                return Err(format!(
                    "{}: the header must be login,name,role,capacity[,password] or category,title,body",
                    path.display()
                ));
            }
            Ok(file)
        }
        _ => Err(format!(
            "{}: the file must end in .csv or .json",
            path.display()
        )),
    }
}

/// A one-time password: 20 random URL-safe characters.
fn one_time_password() -> String {
    new_token("").chars().take(20).collect()
}

async fn import(store: &Store, path: &Path) -> Outcome {
    let file = read_import(path)?;
    // Check everything first, so that a bad row imports nothing.
    let mut accounts = Vec::new();
    for a in file.agents {
        let generated = a.password.as_deref().is_none_or(str::is_empty);
        let new = NewAccount {
            login: a.login,
            display_name: a.name,
            role: a.role,
            capacity: a.capacity,
            password: a
                .password
                .filter(|p| !p.is_empty())
                .unwrap_or_else(one_time_password),
        };
        new.check()
            .map_err(|e| format!("agent {}: {e}", new.login))?;
        accounts.push((new, generated));
    }
    // The console's rules for a standard response, so an import cannot store what an
    // administrator could not (an unknown field code, an over-long title).
    for r in &file.responses {
        wire::catalog::check_category_name(&r.category)
            .and_then(|()| wire::catalog::check_title(&r.title))
            .and_then(|()| wire::catalog::check_body(&r.body))
            .map_err(|e| format!("response {}: {e}", r.title))?;
    }
    for (mut new, generated) in accounts {
        let password = std::mem::take(&mut new.password);
        let h = hash(password.clone()).await?;
        let made = store.create_account(None, &new, &h).await.map_err(said)?;
        if generated {
            println!(
                "created {} ({}); one-time password: {password}",
                made.agent.login,
                made.agent.role.as_str()
            );
        } else {
            println!(
                "created {} ({})",
                made.agent.login,
                made.agent.role.as_str()
            );
        }
    }
    for r in &file.responses {
        store
            .import_response(
                None,
                &ImportedResponse {
                    category: &r.category,
                    title: &r.title,
                    body: &r.body,
                },
            )
            .await
            .map_err(said)?;
        println!("added the standard response {} / {}", r.category, r.title);
    }
    Ok(())
}

/// Makes `to` (new, owner-only), fills it with one snapshot of the database, makes it
/// durable (SQLite does not sync what `VACUUM INTO` writes), and checks it. A copy that
/// failed part way is removed, so a file left behind is a whole one.
async fn backup(store: &Store, to: &Path) -> Outcome {
    let Some(name) = to.to_str() else {
        return Err(format!("{} is not a UTF-8 path", to.display()));
    };
    new_private_file(to).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!("{} already exists; name a new file", to.display())
        }
        _ => format!("cannot create {}: {e}", to.display()),
    })?;
    let copied = async {
        store.vacuum_into(name).await.map_err(said)?;
        mark_copy(name).await?;
        sync_file_and_folder(to).map_err(|e| format!("cannot sync {}: {e}", to.display()))?;
        crate::store::check_copy(to).await.map_err(said)
    }
    .await;
    let contents = match copied {
        Ok(c) => c,
        Err(why) => {
            let _ = std::fs::remove_file(to);
            return Err(why);
        }
    };
    let bytes = std::fs::metadata(to).map_or(0, |m| m.len());
    println!(
        "backed up to {}: {bytes} bytes, {} accounts, {} contacts, {} messages; checked",
        to.display(),
        contents.accounts,
        contents.contacts,
        contents.messages
    );
    Ok(())
}

/// Marks a new copy as one to be restored ([`Store::mark_restored`]), so that whenever it is
/// restored, clients that saw the live log's later events reload.
async fn mark_copy(name: &str) -> Outcome {
    use sqlx::Connection;
    let copy = Store::connect(&format!("sqlite://{name}"))
        .await
        .map_err(|e| format!("cannot open the copy: {e}"))?;
    let marked = copy.mark_restored().await.map_err(said);
    copy.close_at_stop().await;
    drop(copy);
    marked?;
    // Back to the rollback journal `VACUUM INTO` wrote it with (the server turns on its
    // write-ahead log when it opens the file), so that the read-only check that follows
    // leaves no `-wal` and `-shm` files beside the copy.
    let reopen = |e: sqlx::Error| format!("cannot reopen the copy: {e}");
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{name}"))
        .await
        .map_err(reopen)?;
    sqlx::query("PRAGMA journal_mode = DELETE")
        .execute(&mut conn)
        .await
        .map_err(reopen)?;
    conn.close().await.map_err(reopen)
}

/// Marks a restored database (see [`Store::mark_restored`]) and says what it means.
async fn mark_restored(store: &Store) -> Outcome {
    let gap = store.mark_restored().await.map_err(said)?;
    println!(
        "marked as restored: the event log goes on after id {}; desktops, consoles and widgets \
         that saw an event after id {} reload what they show; contacts, chats, messages, \
         pictures and accounts get new ids after a gap too, so that none takes an id of the \
         database this one was copied from",
        gap.up_to.0, gap.after.0
    );
    Ok(())
}

/// Creates `path`, failing if it exists; on Unix readable and writable by its owner only
/// (a copy holds every conversation and every password hash).
fn new_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop)
}

/// Flushes a file and the folder entry that names it to the disk.
fn sync_file_and_folder(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()?;
    #[cfg(unix)]
    {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::File::open(folder)?.sync_all()?;
    }
    Ok(())
}
