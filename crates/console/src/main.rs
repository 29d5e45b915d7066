//! The console's entry point: mounts the app on the page.

fn main() {
    threadline_console::start();
}
