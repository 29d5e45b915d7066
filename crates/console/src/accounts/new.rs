//! `New agent`: Name, Login, Password, Role, Max chats. The fields are checked by the same rules
//! as the server's before the request; the server's refusal (a login taken) shows under the form.

use super::Accounts;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wire::accounts::{NewAccount, MAX_CAPACITY, MIN_CAPACITY};
use wire::Role;

/// The form's fields as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fields {
    /// Display name.
    name: String,
    /// Login name.
    login: String,
    /// First password.
    password: String,
    /// Role, as the select's value.
    role: String,
    /// Max chats, as typed (a number field still gives text).
    capacity: String,
}

impl Default for Fields {
    fn default() -> Self {
        Fields {
            name: String::new(),
            login: String::new(),
            password: String::new(),
            role: Role::Agent.as_str().to_owned(),
            capacity: "3".to_owned(),
        }
    }
}

/// Reads the fields as a request, or says what is wrong.
fn request(f: &Fields) -> Result<NewAccount, String> {
    let capacity = parse_capacity(&f.capacity)?;
    let new = NewAccount {
        login: f.login.trim().to_owned(),
        display_name: f.name.trim().to_owned(),
        role: Role::parse(&f.role).unwrap_or(Role::Agent),
        capacity,
        password: f.password.clone(),
    };
    new.check().map_err(capitalized)?;
    Ok(new)
}

/// Max chats as a number, or what is wrong with it.
pub fn parse_capacity(text: &str) -> Result<u32, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("Max chats must be a number from {MIN_CAPACITY} to {MAX_CAPACITY}."))
}

/// A rule's words as a sentence.
pub fn capitalized(text: String) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => text,
    }
}

/// The form.
#[component]
pub fn NewAgentForm() -> impl IntoView {
    let state = expect_context::<Accounts>();
    let fields = RwSignal::new(Fields::default());
    let error = RwSignal::new(None::<String>);
    let done = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        done.set(None);
        let new = match request(&fields.get_untracked()) {
            Ok(new) => new,
            Err(e) => {
                error.set(Some(e));
                return;
            }
        };
        let state = state.clone();
        busy.set(true);
        spawn_local(async move {
            match state.api.create_account(&new).await {
                Ok(view) => {
                    done.set(Some(format!("{} can now log in.", view.agent.display_name)));
                    state.put(view);
                    fields.set(Fields::default());
                    error.set(None);
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    let field = move |label: &'static str,
                      kind: &'static str,
                      get: fn(&Fields) -> String,
                      set: fn(&mut Fields, String)| {
        view! {
            <label>{label}
                <input type=kind required autocomplete="off"
                    prop:value=move || fields.with(get)
                    on:input=move |ev| fields.update(|f| set(f, event_target_value(&ev)))/>
            </label>
        }
    };
    view! {
        <section aria-labelledby="new-agent-heading">
            <h2 id="new-agent-heading">"New agent"</h2>
            <form class="report-form" aria-labelledby="new-agent-heading" on:submit=submit novalidate>
                {field("Name", "text", |f| f.name.clone(), |f, v| f.name = v)}
                {field("Login", "text", |f| f.login.clone(), |f, v| f.login = v)}
                {field("Password", "password", |f| f.password.clone(), |f, v| f.password = v)}
                <label>"Role"
                    <select prop:value=move || fields.with(|f| f.role.clone())
                        on:change=move |ev| fields.update(|f| f.role = event_target_value(&ev))>
                        {Role::ALL.iter().map(|r| view! {
                            <option value=r.as_str()>{r.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Max chats"
                    <input type="number" min=MIN_CAPACITY max=MAX_CAPACITY required
                        prop:value=move || fields.with(|f| f.capacity.clone())
                        on:input=move |ev| fields.update(|f| f.capacity = event_target_value(&ev))/>
                </label>
                <button type="submit" class="primary" disabled=move || busy.get()>"Create agent"</button>
            </form>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || done.get().map(|d| view! { <p role="status">{d}</p> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::{request, Fields};

    #[test]
    fn the_form_checks_the_server_rules_first() {
        let mut f = Fields {
            name: "Nina Novak".to_owned(),
            login: "nina".to_owned(),
            password: "nina-pass-1".to_owned(),
            ..Fields::default()
        };
        let ok = request(&f).expect("valid");
        assert_eq!(ok.capacity, 3);
        f.capacity = "0".to_owned();
        assert!(request(&f).is_err());
        f.capacity = "many".to_owned();
        assert!(request(&f)
            .err()
            .is_some_and(|e| e.starts_with("Max chats")));
        f.capacity = "2".to_owned();
        f.password = "short".to_owned();
        assert_eq!(
            request(&f).err().as_deref(),
            Some("The password must be at least 10 characters.")
        );
    }
}
