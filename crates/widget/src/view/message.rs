//! One transcript line: built once, updated in place when its delivery mark changes.

use super::dom::{clock, El};
use crate::transcript::{mark, Kind, Mark, Message};
use web_sys::Element;
use wire::SystemLine;

/// Builds the element for `message`.
pub fn build(message: &Message) -> Element {
    let (class, who) = match message.author.kind {
        Kind::Agent => (
            "msg agent",
            message.author.name.as_deref().unwrap_or("Agent"),
        ),
        Kind::Contact => ("msg me", "You"),
        Kind::System => ("msg sys", ""),
    };
    let el = El::new("div")
        .class(class)
        .attr("data-seq", &message.seq.to_string());
    if message.author.kind == Kind::System {
        return el.text(&system_text(message)).0;
    }
    let el = el.child(&El::new("span").class("by").text(who).0);
    let el = if message.text.is_empty() {
        el
    } else {
        el.child(&El::new("p").class("text").text(&message.text).0)
    };
    let el = match &message.attachment {
        Some(a) => {
            let img = El::new("img")
                .attr("src", &a.url)
                .attr("alt", &format!("Image: {}", a.file_name));
            // Its size before it arrives (the height follows the width the frame allows), so
            // the log does not grow under the newest message when it loads.
            let img = match wire::shown_size(a.width, a.height, 240, u32::MAX) {
                Some((w, h)) => img
                    .attr("width", &w.to_string())
                    .attr("height", &h.to_string()),
                None => img,
            };
            el.child(
                &El::new("a")
                    .attr("href", &a.url)
                    .attr("target", "_blank")
                    .attr("rel", "noopener")
                    .child(&img.0)
                    .0,
            )
        }
        None => el,
    };
    let meta = El::new("span")
        .class("meta")
        .text(&clock(message.created_at))
        .0;
    let el = el.child(&meta);
    if message.author.kind == Kind::Contact {
        let _ = el.0.append_child(&El::new("span").class("mark").0);
        update(&el.0, message);
    }
    el.0
}

/// Updates the delivery mark of one of the visitor's messages.
pub fn update(el: &Element, message: &Message) {
    if message.author.kind != Kind::Contact {
        return;
    }
    if let Ok(Some(mark_el)) = el.query_selector(".mark") {
        let m = mark(message);
        mark_el.set_text_content(Some(m.label()));
        mark_el.set_class_name(match m {
            Mark::Sent => "mark",
            Mark::Delivered => "mark delivered",
            Mark::Read => "mark read",
        });
    }
}

/// The words of a system line (the server's text when it sent one).
fn system_text(message: &Message) -> String {
    if !message.text.is_empty() {
        return message.text.clone();
    }
    match message.system {
        Some(SystemLine::Joined) => "An agent joined the chat".to_owned(),
        Some(SystemLine::Left) => "You left the chat".to_owned(),
        Some(SystemLine::Ended) => "The chat has ended".to_owned(),
        Some(SystemLine::Reactivated) => "The chat continues".to_owned(),
        Some(SystemLine::Transferred) => "You're being connected to another agent".to_owned(),
        None => String::new(),
    }
}
