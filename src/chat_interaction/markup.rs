//! Transcript lines written as markup. A line with nothing interactive on it (a header, a
//! system line, a message with no Retry) is written as one HTML string and put in the page in
//! one call: building it element by element costs a call from wasm into the browser for each
//! element, attribute, class and text (about 0.4 ms a line with the CPU throttled 4×, and a
//! jump or a slide of the window builds 30 to 40 of them), where the browser's own parser
//! builds the same elements from one string in a fraction of that.
//!
//! Safety: [`Markup`] is the only way a string is written, and it takes tags and attribute
//! names only as `&'static str` (written in this crate's code), while every text and every
//! attribute value goes through [`escape`], so no text from a visitor, an agent or a platform
//! can open an element or leave an attribute. The elements written never parse their
//! content as raw text (no `script`, `style`, `textarea`, `title`).

use leptos::prelude::AnyView;

/// A line of markup being written.
#[derive(Debug, Default)]
pub struct Markup(String);

impl Markup {
    /// Nothing written yet.
    pub fn new() -> Self {
        Markup(String::with_capacity(256))
    }

    /// `<tag a="v" …>`; attributes whose value is `None` are left out.
    pub fn open(&mut self, tag: &'static str, attrs: &[(&'static str, Option<&str>)]) -> &mut Self {
        self.0.push('<');
        self.0.push_str(tag);
        for (name, value) in attrs {
            if let Some(v) = value {
                self.0.push(' ');
                self.0.push_str(name);
                self.0.push_str("=\"");
                escape(&mut self.0, v);
                self.0.push('"');
            }
        }
        self.0.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.0.push_str("</");
        self.0.push_str(tag);
        self.0.push('>');
        self
    }

    /// A line already drawn, in a `div` of the class given (its markup was written with
    /// [`Markup`] too).
    pub fn line(&mut self, class: &'static str, drawn: &Drawn) -> &mut Self {
        self.open("div", &[("class", Some(class))]);
        self.0.push_str(&drawn.markup);
        self.close("div")
    }

    /// A text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape(&mut self.0, text);
        self
    }

    /// `<tag a="v" …>text</tag>`.
    pub fn element(
        &mut self,
        tag: &'static str,
        attrs: &[(&'static str, Option<&str>)],
        text: &str,
    ) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// What was written.
    pub fn finish(self) -> String {
        self.0
    }
}

/// Appends `s` with every character that could end a text or an attribute value written as
/// an entity (`html-escape`'s "safe" set: `& < > " ' /`). A carriage return is written as one
/// too, so that the parser keeps it (it would make `\r\n` one `\n`) and the line holds the
/// text as it was sent.
pub fn escape(out: &mut String, s: &str) {
    for (i, part) in s.split('\r').enumerate() {
        if i > 0 {
            out.push_str("&#13;");
        }
        html_escape::encode_safe_to_string(part, out);
    }
}

/// A line as the transcript draws it: its markup, and the live parts (buttons, a problem
/// shown later) that have to be views, each mounted after the content of the next element of
/// the markup marked `data-live` (in document order; in the line's own element when there is
/// none).
#[must_use]
pub struct Drawn {
    /// Markup written with [`Markup`].
    pub markup: String,
    /// The live parts, in the order of their elements.
    pub live: Vec<AnyView>,
}

impl Drawn {
    /// A line that is markup only.
    pub fn markup(markup: Markup) -> Self {
        Drawn {
            markup: markup.finish(),
            live: Vec::new(),
        }
    }

    /// A line with live parts: `markup` marks an element `data-live` for each.
    pub fn with_live(markup: Markup, live: Vec<AnyView>) -> Self {
        Drawn {
            markup: markup.finish(),
            live,
        }
    }

    /// The line inside a `<div>` with `attrs`, followed in it by `after` (a live view).
    pub fn wrapped(self, attrs: &[(&'static str, Option<&str>)], after: Option<AnyView>) -> Self {
        let mut m = Markup::new();
        let mut all: Vec<(&'static str, Option<&str>)> = attrs.to_vec();
        all.push(("data-live", after.is_some().then_some("")));
        m.open("div", &all);
        m.0.push_str(&self.markup);
        m.close("div");
        // The wrapper comes before the line's own elements in document order.
        let live = after.into_iter().chain(self.live).collect();
        Drawn {
            markup: m.finish(),
            live,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{escape, Markup};

    #[test]
    fn text_and_attributes_cannot_become_markup() {
        let hostile = "<img src=x onerror=\"alert('x')\"> & </p>\r\n";
        let mut m = Markup::new();
        m.open(
            "p",
            &[
                ("class", Some("text")),
                ("title", Some(hostile)),
                ("id", None),
            ],
        )
        .text(hostile)
        .close("p");
        let out = m.finish();
        let escaped = "&lt;img src=x onerror=&quot;alert(&#x27;x&#x27;)&quot;&gt; &amp; &lt;&#x2F;p&gt;&#13;\n";
        assert_eq!(
            out,
            format!("<p class=\"text\" title=\"{escaped}\">{escaped}</p>")
        );
        // Whatever the text, no character that ends a text or a value is left, and the
        // parser gives back the text as it was.
        for text in [
            hostile,
            "a<b>c\"d'e&f\rg — ünïcødé 😀",
            "&amp; &#60;",
            "\r\r\n",
        ] {
            let mut s = String::new();
            escape(&mut s, text);
            assert!(!s.contains(['<', '>', '"', '\'', '\r']), "{s}");
            assert_eq!(html_escape::decode_html_entities(&s), text);
        }
    }

    #[test]
    fn plain_text_is_kept_as_it_is() {
        let mut s = String::new();
        escape(&mut s, "Hello, how can I help?");
        assert_eq!(s, "Hello, how can I help?");
        let mut s = String::new();
        escape(&mut s, "");
        assert_eq!(s, "");
    }
}
