//! Deliveries slower than the 10 ms goal, by the tenth of a second in which they were sent:
//! what `load` and `cluster` print below their latencies, to tell a stall (a few tenths) from a
//! spread-out tail (many).

use std::collections::HashMap;
use std::time::Instant;

/// One message delivered to its subscriber.
#[derive(Clone, Copy)]
pub struct Delivery {
    /// When its POST started.
    pub sent: Instant,
    /// From then to the stream delivering it, in ms.
    pub ms: f64,
}

impl Delivery {
    /// The tenth of a second, counted from `start`, in which its POST started.
    fn tenth(&self, start: Instant) -> u64 {
        (self.sent.saturating_duration_since(start).as_secs_f64() * 10.0) as u64
    }
}

/// Deliveries slower than the 10 ms goal, by the tenth of a second in which they were sent:
/// how many tenths hold them (a few: the process or machine stalled; many: a spread-out
/// tail) and the worst five tenths with their count and slowest delivery.
pub fn print_slow_deliveries(name: &str, deliveries: &[Delivery], start: Instant) {
    const SLOW_MS: f64 = 10.0;
    let mut tenths: HashMap<u64, (u64, f64)> = HashMap::new();
    for d in deliveries.iter().filter(|d| d.ms > SLOW_MS) {
        let e = tenths.entry(d.tenth(start)).or_insert((0, 0.0));
        e.0 += 1;
        e.1 = e.1.max(d.ms);
    }
    let slow: u64 = tenths.values().map(|e| e.0).sum();
    let sent_tenths = deliveries
        .iter()
        .map(|d| d.tenth(start))
        .max()
        .map_or(0, |t| t + 1);
    println!(
        "deliveries over {SLOW_MS} ms ({name}): {slow} of {}, sent in {} of {sent_tenths} tenths of a second",
        deliveries.len(),
        tenths.len()
    );
    let mut worst: Vec<_> = tenths.into_iter().collect();
    worst.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    for (tenth, (n, max)) in worst.into_iter().take(5) {
        println!(
            "  sent at {:.1}–{:.1} s: {n} over {SLOW_MS} ms, slowest {max:.1} ms",
            tenth as f64 / 10.0,
            (tenth + 1) as f64 / 10.0
        );
    }
}
