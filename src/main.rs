//! The agent desktop (placeholder).
fn main() {}
