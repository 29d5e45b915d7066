//! The `postMessage` protocol between the loader (on the company's page) and this frame.
//! Messages are JSON strings with a `t` tag. The frame learns the page's origin from its URL
//! (`frame.html?parent=<origin>`), posts only to that origin and accepts messages only from
//! it, and only from its own parent window. The loader does the same with the widget's origin.

use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use web_sys::{MessageEvent, Url, UrlSearchParams, Window};

/// From the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromLoader {
    /// The answer to [`ToLoader::Ready`]: the page's identity token and whether the panel is
    /// shown.
    Init {
        /// A signed customer identity from the company site.
        identity: Option<String>,
        /// Whether the panel is open.
        open: bool,
        /// The path of the company page the widget is on (`/pricing`), shown to the agent.
        page: Option<String>,
    },
    /// The panel was opened.
    Show,
    /// The panel was closed.
    Hide,
    /// The page called `Threadline.identify(token)`.
    Identify {
        /// The new identity (none: logged out).
        identity: Option<String>,
    },
}

/// To the loader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ToLoader {
    /// The frame is listening; send [`FromLoader::Init`].
    Ready,
    /// Agent messages the visitor has not read (the launcher's badge).
    Unread {
        /// How many.
        n: u32,
    },
    /// The visitor started a chat: the loader may remember that on the page's origin, so the
    /// next visit loads the frame in the background for the badge.
    Started,
    /// The visitor closed the panel (the Close button or Escape).
    Close,
}

/// A message from the loader as JSON has it: read flat (a tagged enum would pull serde's
/// buffering machinery into the bundle for four small messages).
#[derive(Deserialize)]
struct Raw {
    /// The tag.
    t: String,
    /// `init`, `identify`.
    #[serde(default)]
    identity: Option<String>,
    /// `init`.
    #[serde(default)]
    open: bool,
    /// `init`.
    #[serde(default)]
    page: Option<String>,
}

/// Parses a message from the loader.
pub fn parse(data: &str) -> Option<FromLoader> {
    let raw: Raw = serde_json::from_str(data).ok()?;
    Some(match raw.t.as_str() {
        "init" => FromLoader::Init {
            identity: raw.identity,
            open: raw.open,
            // Only a path the server accepts: a bad one would cost the visitor their session.
            page: raw
                .page
                .map(|p| {
                    p.chars()
                        .take(wire::MAX_START_PAGE_CHARS)
                        .collect::<String>()
                })
                .filter(|p| wire::valid_start_page(p)),
        },
        "show" => FromLoader::Show,
        "hide" => FromLoader::Hide,
        "identify" => FromLoader::Identify {
            identity: raw.identity,
        },
        _ => return None,
    })
}

/// The parent page's origin from `?parent=`, if it is a real origin.
pub fn parent_origin() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    let origin = UrlSearchParams::new_with_str(&search).ok()?.get("parent")?;
    let url = Url::new(&origin).ok()?;
    (url.origin() == origin && origin != "null").then_some(origin)
}

/// The parent window, if the frame is embedded.
fn parent_window() -> Option<Window> {
    let window = web_sys::window()?;
    let parent = window.parent().ok()??;
    (!js_sys::Object::is(&parent, &window)).then_some(parent)
}

/// Whether the frame is embedded by a page whose origin it knows.
pub fn embedded(origin: Option<&str>) -> bool {
    origin.is_some() && parent_window().is_some()
}

/// Posts to the loader (only to `origin`).
pub fn post(origin: &str, message: &ToLoader) {
    if let (Some(parent), Ok(data)) = (parent_window(), serde_json::to_string(message)) {
        let _ = parent.post_message(&JsValue::from_str(&data), origin);
    }
}

/// The message, if it comes from the parent window at `origin`.
pub fn accept(event: &MessageEvent, origin: &str) -> Option<FromLoader> {
    if event.origin() != origin {
        return None;
    }
    let parent = parent_window()?;
    if !event
        .source()
        .is_some_and(|s| js_sys::Object::is(&s, &parent))
    {
        return None;
    }
    parse(&event.data().as_string()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_round_trip() {
        assert_eq!(
            parse(r#"{"t":"init","identity":"c1.9.sig","open":true}"#),
            Some(FromLoader::Init {
                identity: Some("c1.9.sig".into()),
                page: None,
                open: true
            })
        );
        assert_eq!(
            parse(r#"{"t":"init","identity":null,"open":false,"page":"/pricing"}"#),
            Some(FromLoader::Init {
                identity: None,
                page: Some("/pricing".into()),
                open: false
            })
        );
        let long = format!(r#"{{"t":"init","page":"/{}"}}"#, "a".repeat(500));
        let Some(FromLoader::Init { page, .. }) = parse(&long) else {
            panic!("init not parsed");
        };
        assert_eq!(
            page.map(|p| p.chars().count()),
            Some(wire::MAX_START_PAGE_CHARS)
        );
        let Some(FromLoader::Init { page, .. }) = parse(r#"{"t":"init","page":"not a path"}"#)
        else {
            panic!("init not parsed");
        };
        assert_eq!(page, None);
        assert_eq!(parse(r#"{"t":"show"}"#), Some(FromLoader::Show));
        assert_eq!(
            parse(r#"{"t":"identify","identity":null}"#),
            Some(FromLoader::Identify { identity: None })
        );
        assert_eq!(parse(r#"{"t":"evil"}"#), None);
        assert_eq!(parse("not json"), None);
        assert_eq!(
            serde_json::to_string(&ToLoader::Unread { n: 3 }).unwrap(),
            r#"{"t":"unread","n":3}"#
        );
    }
}
