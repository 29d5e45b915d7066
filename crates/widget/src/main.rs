//! The visitor widget (placeholder until its issue lands).
fn main() {}
