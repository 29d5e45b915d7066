//! The agent desktop's entry point: mounts the app on the page.

fn main() {
    threadline::start();
}
