//! DOM building. The panel is small and mostly static, so it is plain DOM code: the static
//! parts are built once ([`panel`]), transcript lines are added and updated in place
//! ([`message`]) so the live region announces only what is new.

pub mod dom;
pub mod message;
pub mod panel;
