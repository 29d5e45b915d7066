//! The catalog administrators keep for agents: standard responses and their categories,
//! disposition codes and Not Ready reasons, with the rules for their fields (checked by the
//! server and, before sending, by the console).

use crate::checks::{characters, one_line, Lines};
use crate::limits::MAX_MESSAGE_CHARS;
use crate::model::field_codes;
use crate::CategoryId;
use serde::{Deserialize, Serialize};

/// Longest standard response title.
pub const MAX_TITLE_CHARS: usize = 120;
/// Longest category name.
pub const MAX_CATEGORY_CHARS: usize = 60;
/// Longest label of a disposition code or Not Ready reason.
pub const MAX_LABEL_CHARS: usize = 60;
/// Longest disposition or reason code.
pub const MAX_CODE_CHARS: usize = 40;
/// Longest standard response text: what one message may hold.
pub const MAX_BODY_CHARS: usize = MAX_MESSAGE_CHARS;

/// Checks a category name: one line of visible text, 1 to 60 characters.
///
/// # Errors
/// Says what is wrong.
pub fn check_category_name(name: &str) -> Result<(), String> {
    one_line(name, MAX_CATEGORY_CHARS).map_err(|e| e.describe("the category name"))
}

/// Checks a standard response title: one line, 1 to 120 characters.
///
/// # Errors
/// Says what is wrong.
pub fn check_title(title: &str) -> Result<(), String> {
    one_line(title, MAX_TITLE_CHARS).map_err(|e| e.describe("the title"))
}

/// Checks a label: one line, 1 to 60 characters.
///
/// # Errors
/// Says what is wrong.
pub fn check_label(label: &str) -> Result<(), String> {
    one_line(label, MAX_LABEL_CHARS).map_err(|e| e.describe("the label"))
}

/// Checks a code: 1 to 40 of `a-z`, `0-9` and `_`, starting with a letter (it is stored on
/// interactions and agents, and reports group by it).
///
/// # Errors
/// Says what is wrong.
pub fn check_code(code: &str) -> Result<(), String> {
    let mut chars = code.chars();
    let starts = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !starts || !rest || code.chars().count() > MAX_CODE_CHARS {
        return Err(format!(
            "the code must be 1 to {MAX_CODE_CHARS} characters of a-z, 0-9 or '_', starting with a letter"
        ));
    }
    Ok(())
}

/// The first field code in `body` that [`field_codes::fill`] does not know: a `{...}` holding
/// only `a-z`, `0-9`, `_` and `.` (other braces are ordinary text).
pub fn unknown_field_code(body: &str) -> Option<String> {
    let mut rest = body;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}')?;
        let inner = &after[..close];
        let looks_like_code = !inner.is_empty()
            && inner
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if looks_like_code {
            let code = format!("{{{inner}}}");
            if !field_codes::ALL.contains(&code.as_str()) {
                return Some(code);
            }
            rest = &after[close + 1..];
        } else {
            rest = after;
        }
    }
    None
}

/// Checks a standard response text: not blank, at most a message's length, multi-line visible
/// text, and only known field codes.
///
/// # Errors
/// Says what is wrong; an unknown field code is named, with the known ones.
pub fn check_body(body: &str) -> Result<(), String> {
    if body.trim().is_empty() {
        return Err("the text is empty".into());
    }
    let chars = body.chars().count();
    if chars > MAX_BODY_CHARS {
        return Err(format!(
            "the text is too long ({chars} characters; at most {MAX_BODY_CHARS})"
        ));
    }
    characters(body, Lines::Many).map_err(|e| e.describe("the text"))?;
    if let Some(code) = unknown_field_code(body) {
        return Err(format!(
            "the text uses the unknown field code {code}; the known ones are {}",
            field_codes::ALL.join(", ")
        ));
    }
    Ok(())
}

/// `POST /api/admin/response-categories` and `PUT /api/admin/response-categories/{id}`: a
/// category's name and place in the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryForm {
    /// Its name, unique among its siblings.
    pub name: String,
    /// The category it sits in; none for the top level.
    #[serde(default)]
    pub parent_id: Option<CategoryId>,
}

impl CategoryForm {
    /// Checks the name.
    ///
    /// # Errors
    /// Says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        check_category_name(&self.name)
    }
}

/// `POST /api/admin/responses` and `PUT /api/admin/responses/{id}`: a standard response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResponseForm {
    /// The category it is filed under.
    pub category_id: CategoryId,
    /// The title agents pick it by, unique in its category.
    pub title: String,
    /// The text, with field codes from [`field_codes::ALL`].
    pub body: String,
}

impl ResponseForm {
    /// Checks the title and the text.
    ///
    /// # Errors
    /// The first field that is wrong, said in words.
    pub fn check(&self) -> Result<(), String> {
        check_title(&self.title)?;
        check_body(&self.body)
    }
}

/// A disposition code or a Not Ready reason as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeView {
    /// The stored code (on interactions or agents; never changes).
    pub code: String,
    /// The words agents see.
    pub label: String,
    /// Whether agents may choose it; a retired code stays for the history that uses it.
    pub active: bool,
}

/// Disposition codes or Not Ready reasons, in the order agents see them, retired ones included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeList {
    /// Every code, in order.
    pub codes: Vec<CodeView>,
}

/// `POST /api/admin/dispositions` or `/api/admin/not-ready-reasons`: a new code, added last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCode {
    /// The code ([`check_code`]).
    pub code: String,
    /// The words agents see ([`check_label`]).
    pub label: String,
}

impl NewCode {
    /// Checks the code and the label.
    ///
    /// # Errors
    /// The first field that is wrong, said in words.
    pub fn check(&self) -> Result<(), String> {
        check_code(&self.code)?;
        check_label(&self.label)
    }
}

/// `PATCH /api/admin/dispositions/{code}` (or reasons): what to change; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeChange {
    /// A new label.
    #[serde(default)]
    pub label: Option<String>,
    /// Retire (`false`) or bring back (`true`).
    #[serde(default)]
    pub active: Option<bool>,
}

impl CodeChange {
    /// Checks the label given.
    ///
    /// # Errors
    /// Says what is wrong.
    pub fn check(&self) -> Result<(), String> {
        self.label.as_deref().map_or(Ok(()), check_label)
    }
}

/// `PUT /api/admin/dispositions` (or reasons): the new order, every code once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodeOrder {
    /// Every code, in the new order.
    pub codes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_codes_are_checked() {
        assert!(check_body("Hi {contact.first_name}, I am {agent.name}. {ok?}").is_ok());
        let e = check_body("Hi {contact.nickname}").unwrap_err();
        assert!(e.contains("{contact.nickname}"), "{e}");
        assert!(e.contains("{agent.name}"), "{e}");
        assert!(check_body("  ").is_err());
    }

    #[test]
    fn codes_are_slugs() {
        assert!(check_code("follow_up2").is_ok());
        for bad in ["", "Follow", "2x", "a-b", "a b", &"a".repeat(41)] {
            assert!(check_code(bad).is_err(), "{bad}");
        }
    }
}
