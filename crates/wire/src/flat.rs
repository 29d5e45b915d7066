//! Enums tagged by a field (`{"kind": "agent", "id": 3, ...}`) read as one flat object of
//! optional fields and turned into the variant by a `TryFrom`. serde's own reading of a tagged
//! enum buffers the whole value, then reads it again for the variant: in the browsers' bundles
//! that was several kilobytes of code per enum. Writing them stays serde's (`tag = ...`).

/// A field the variant cannot do without.
pub(crate) fn required<T>(value: Option<T>, name: &str) -> Result<T, String> {
    value.ok_or_else(|| format!("missing field `{name}`"))
}

/// A tag that names no variant.
pub(crate) fn unknown(tag: &str, value: &str) -> String {
    format!("unknown {tag} `{value}`")
}

#[cfg(test)]
mod tests {
    use crate::{AgentId, Author, ChatStatus, ReasonCode};
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use std::fmt::Debug;

    /// Written by serde's tagged form, read back through the flat fields: the same value.
    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: T) {
        let text = serde_json::to_string(&value).expect("JSON");
        assert_eq!(serde_json::from_str::<T>(&text).ok(), Some(value), "{text}");
    }

    #[test]
    fn tagged_values_read_back_as_written() {
        round_trip(Author::Agent {
            id: AgentId(7),
            name: "Ann".into(),
        });
        round_trip(Author::Contact);
        round_trip(Author::System);
        round_trip(ChatStatus::Ready);
        round_trip(ChatStatus::NotReady {
            reason: ReasonCode("break".into()),
        });
    }

    #[test]
    fn a_missing_field_or_an_unknown_tag_is_an_error_that_names_it() {
        let cases: [(&str, &str); 5] = [
            (r#"{"kind": "agent", "name": "Ann"}"#, "missing field `id`"),
            (r#"{"kind": "robot"}"#, "unknown author kind `robot`"),
            (r#"{"name": "Ann"}"#, "missing field `kind`"),
            (
                r#"{"kind": "agent", "id": "seven", "name": "Ann"}"#,
                "invalid type",
            ),
            (r#"{"kind": 3}"#, "invalid type"),
        ];
        for (text, why) in cases {
            let e = serde_json::from_str::<Author>(text).expect_err(text);
            assert!(e.to_string().contains(why), "{text}: {e}");
        }
        let e =
            serde_json::from_str::<ChatStatus>(r#"{"state": "not_ready"}"#).expect_err("no reason");
        assert!(e.to_string().contains("missing field `reason`"), "{e}");
        let e = serde_json::from_str::<ChatStatus>(r#"{"state": "away"}"#).expect_err("away");
        assert!(e.to_string().contains("unknown state `away`"), "{e}");
    }
}
