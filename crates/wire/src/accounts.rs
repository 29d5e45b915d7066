//! Accounts as administrators manage them, the audit log as they read it, and the rules for an
//! account's fields (checked by the server's API and command line alike, and by any console).

use crate::{AgentId, AgentView, Millis, Role};
use serde::{Deserialize, Serialize};

/// Longest login name.
pub const MAX_LOGIN_CHARS: usize = 64;
/// Longest display name.
pub const MAX_NAME_CHARS: usize = 100;
/// Shortest password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// Longest password (argon2 takes any length; this bounds the work a request can ask for).
pub const MAX_PASSWORD_CHARS: usize = 256;
/// Fewest concurrent chats an account may be given.
pub const MIN_CAPACITY: u32 = 1;
/// Most concurrent chats an account may be given.
pub const MAX_CAPACITY: u32 = 50;

/// Checks a login name: 1 to 64 of `a-z`, `0-9`, `.`, `_`, `-`.
///
/// # Errors
/// Says what is wrong, in words for the person who typed it.
pub fn check_login(login: &str) -> Result<(), String> {
    let ok_chars = login
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c));
    if login.is_empty() || login.chars().count() > MAX_LOGIN_CHARS || !ok_chars {
        return Err(format!(
            "the login must be 1 to {MAX_LOGIN_CHARS} characters of a-z, 0-9, '.', '_' or '-'"
        ));
    }
    Ok(())
}

/// Checks a display name: not blank, at most 100 characters, one line of visible text.
///
/// # Errors
/// Says what is wrong.
pub fn check_display_name(name: &str) -> Result<(), String> {
    crate::checks::one_line(name, MAX_NAME_CHARS).map_err(|e| e.describe("the name"))
}

/// Checks a capacity: 1 to 50 chats at once.
///
/// # Errors
/// Says what is wrong.
pub fn check_capacity(capacity: u32) -> Result<(), String> {
    if (MIN_CAPACITY..=MAX_CAPACITY).contains(&capacity) {
        Ok(())
    } else {
        Err(format!(
            "the capacity must be from {MIN_CAPACITY} to {MAX_CAPACITY} chats"
        ))
    }
}

/// Checks a new password (every way one is set: by its owner, an administrator, the command
/// line): 10 to 256 characters, one line of visible characters.
///
/// # Errors
/// Says what is wrong.
pub fn check_password(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(format!(
            "the password must be at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(format!(
            "the password may be at most {MAX_PASSWORD_CHARS} characters"
        ));
    }
    crate::checks::characters(password, crate::checks::Lines::One)
        .map_err(|e| e.describe("the password"))
}

/// An account as the administration list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountView {
    /// The account as its owner sees it: login, name, role, capacity, status, load.
    #[serde(flatten)]
    pub agent: AgentView,
    /// Whether it may log in and be offered work (false once deactivated).
    pub active: bool,
}

/// The accounts, by login.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountList {
    /// Every account, deactivated ones included.
    pub accounts: Vec<AccountView>,
}

/// `POST /api/admin/agents`: a new account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAccount {
    /// The login name ([`check_login`]).
    pub login: String,
    /// The name contacts and colleagues see.
    pub display_name: String,
    /// What the account may do.
    pub role: Role,
    /// Chats at once (1 to 50).
    pub capacity: u32,
    /// The first password ([`check_password`]); the person changes it after logging in.
    pub password: String,
}

impl NewAccount {
    /// Checks every field by the rules above.
    ///
    /// # Errors
    /// The first field that is wrong, said in words.
    pub fn check(&self) -> Result<(), String> {
        check_login(&self.login)?;
        check_display_name(&self.display_name)?;
        check_capacity(self.capacity)?;
        check_password(&self.password)
    }
}

/// `PATCH /api/admin/agents/{id}`: what to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountChange {
    /// A new display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// A new capacity.
    #[serde(default)]
    pub capacity: Option<u32>,
    /// A new role (the last active administrator keeps theirs).
    #[serde(default)]
    pub role: Option<Role>,
}

impl AccountChange {
    /// Checks the fields given.
    ///
    /// # Errors
    /// The first field that is wrong, said in words.
    pub fn check(&self) -> Result<(), String> {
        if let Some(name) = &self.display_name {
            check_display_name(name)?;
        }
        if let Some(capacity) = self.capacity {
            check_capacity(capacity)?;
        }
        Ok(())
    }
}

/// `POST /api/admin/agents/{id}/password`: the new password an administrator set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordReset {
    /// The new password ([`check_password`]); every session of the account ends.
    pub password: String,
}

/// Declares [`AuditAction`]: each action once, with the kind of thing it changes and its words.
macro_rules! audit_actions {
    ($( $var:ident = $code:literal, $kind:literal, $label:literal; )*) => {
        /// An action the audit log records. The server writes [`AuditAction::code`] and
        /// [`AuditAction::target_kind`]; the console offers them as filters and shows
        /// [`AuditAction::label`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum AuditAction {
            $( #[doc = $label] $var, )*
        }

        impl AuditAction {
            /// Every action, grouped by the kind of thing it changes.
            pub const ALL: &'static [AuditAction] = &[$(AuditAction::$var),*];

            /// Its code in the log, `noun.verb`.
            pub fn code(self) -> &'static str {
                match self { $(AuditAction::$var => $code,)* }
            }

            /// The kind of thing it changes.
            pub fn target_kind(self) -> &'static str {
                match self { $(AuditAction::$var => $kind,)* }
            }

            /// In words.
            pub fn label(self) -> &'static str {
                match self { $(AuditAction::$var => $label,)* }
            }
        }
    };
}

audit_actions! {
    AgentCreate = "agent.create", "agent", "Agent created";
    AgentUpdate = "agent.update", "agent", "Agent changed";
    AgentDeactivate = "agent.deactivate", "agent", "Agent deactivated";
    AgentReactivate = "agent.reactivate", "agent", "Agent reactivated";
    AgentResetPassword = "agent.reset_password", "agent", "Password reset";
    AgentSetNotReady = "agent.set_not_ready", "agent", "Set Not Ready";
    AgentLogOut = "agent.log_out", "agent", "Logged out";
    EmbedLoginToken = "embed.login_token", "agent", "Portal login token issued";
    EmbedLogin = "auth.embed_login", "agent", "Logged in from a portal";
    InteractionTransfer = "interaction.transfer", "interaction", "Chat transferred";
    MonitorStart = "interaction.monitor_start", "interaction", "Monitoring started";
    MonitorEnd = "interaction.monitor_end", "interaction", "Monitoring ended";
    ContactLink = "contact.link", "contact", "Contacts linked";
    ContactUnlink = "contact.unlink", "contact", "Contacts unlinked";
    ContactErase = "contact.erase", "contact", "Contact erased";
    ContactExport = "contact.export", "contact", "Contact data exported";
    ResponseCreate = "standard_response.create", "standard_response", "Standard response created";
    ResponseUpdate = "standard_response.update", "standard_response", "Standard response changed";
    ResponseDelete = "standard_response.delete", "standard_response", "Standard response deleted";
    CategoryCreate = "category.create", "category", "Category created";
    CategoryUpdate = "category.update", "category", "Category changed";
    CategoryDelete = "category.delete", "category", "Category deleted";
    DispositionCreate = "disposition.create", "disposition", "Disposition code created";
    DispositionUpdate = "disposition.update", "disposition", "Disposition code changed";
    DispositionReorder = "disposition.reorder", "disposition", "Disposition codes reordered";
    ReasonCreate = "not_ready_reason.create", "not_ready_reason", "Not Ready reason created";
    ReasonUpdate = "not_ready_reason.update", "not_ready_reason", "Not Ready reason changed";
    ReasonReorder = "not_ready_reason.reorder", "not_ready_reason", "Not Ready reasons reordered";
    ChannelUpdate = "channel.update", "channel", "Channel settings changed";
}

impl AuditAction {
    /// The action with this code, if the log has such a one.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.code() == code)
    }

    /// The kinds of things actions change, each once, in the order of [`Self::ALL`].
    pub fn target_kinds() -> Vec<&'static str> {
        let mut kinds: Vec<&'static str> = Vec::new();
        for a in Self::ALL {
            if !kinds.contains(&a.target_kind()) {
                kinds.push(a.target_kind());
            }
        }
        kinds
    }
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditRecord {
    /// Its id; pages continue below it.
    pub id: i64,
    /// When.
    pub at: Millis,
    /// Who (none: the command line).
    pub actor: Option<AgentId>,
    /// The actor's login, for reading.
    pub actor_login: Option<String>,
    /// What, `noun.verb` (e.g. `agent.create`).
    pub action: String,
    /// What kind of thing changed (`agent`, `standard_response`, ...).
    pub target_kind: String,
    /// Which one.
    pub target_id: String,
    /// The thing before (none for a creation).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub before: Option<serde_json::Value>,
    /// The thing after (none for a deletion).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub after: Option<serde_json::Value>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    /// The rows, newest first.
    pub entries: Vec<AuditRecord>,
    /// Pass as `before` for the next (older) page; none when this was the last.
    pub next_before: Option<i64>,
}

/// `GET /api/setup`: whether the server is ready to be logged into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetupState {
    /// Whether any account exists (if not, the first administrator is made on the command line).
    pub has_accounts: bool,
}

/// The command that creates the first administrator, as the server and the login page show it.
pub const FIRST_ADMIN_COMMAND: &str =
    "threadline-api admin create --login admin --name \"Your Name\" --role administrator";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_rules() {
        assert!(check_login("ann.b-2_x").is_ok());
        assert!(check_login("").is_err());
        assert!(check_login("Ann").is_err());
        assert!(check_login(&"a".repeat(65)).is_err());
        assert!(check_capacity(0).is_err());
        assert!(check_capacity(50).is_ok());
        assert!(check_capacity(51).is_err());
        assert!(check_password("short").is_err());
        assert!(check_password("long enough").is_ok());
        assert!(check_display_name("Ann Archer").is_ok());
        assert!(check_display_name(" ").is_err());
        assert!(check_display_name("a\u{202e}b").is_err());
    }

    #[test]
    fn each_audit_action_has_its_own_code_read_back() {
        use super::AuditAction;
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::from_code(a.code()), Some(*a), "{a:?}");
            assert!(a.code().contains('.'), "{a:?}: noun.verb");
        }
        assert_eq!(AuditAction::from_code("agent.vanish"), None);
        let kinds = AuditAction::target_kinds();
        assert!(kinds.contains(&"interaction") && kinds.contains(&"not_ready_reason"));
        assert_eq!(
            kinds.len(),
            kinds.iter().collect::<std::collections::HashSet<_>>().len()
        );
    }
}
