//! `GET /metrics`: counters, the number of feed waiters and request latency histograms
//! per route, in the Prometheus text format (version 0.0.4).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
pub struct Metrics {
    pub events_appended: AtomicU64,
    pub events_replayed: AtomicU64,
    /// Groups of one-event appends stored together (see appender.rs).
    pub append_groups: AtomicU64,
    pub conflicts: AtomicU64,
    pub rejected: AtomicU64,
    pub feed_waiters: AtomicI64,
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    latency: Mutex<BTreeMap<String, Histogram>>,
}

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Metrics {
    pub fn request(&self, route: &str, status: u16, took: Duration) {
        *self
            .requests
            .lock()
            .expect("metrics lock")
            .entry((route.to_owned(), status))
            .or_default() += 1;
        let secs = took.as_secs_f64();
        let mut latency = self.latency.lock().expect("metrics lock");
        let h = latency.entry(route.to_owned()).or_default();
        for (i, le) in BUCKETS.iter().enumerate() {
            if secs <= *le {
                h.counts[i] += 1;
            }
        }
        h.count += 1;
        h.sum += secs;
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        counter(
            &mut out,
            "slawatch_events_appended_total",
            "Events stored (new).",
            load(&self.events_appended),
        );
        counter(
            &mut out,
            "slawatch_events_replayed_total",
            "Events posted again that were already stored (idempotent re-sends).",
            load(&self.events_replayed),
        );
        counter(
            &mut out,
            "slawatch_append_groups_total",
            "Groups in which one-event appends were stored together (appends per group = events appended / groups).",
            load(&self.append_groups),
        );
        counter(
            &mut out,
            "slawatch_append_conflicts_total",
            "Appends refused with 409: a ticket moved on, or an id reused.",
            load(&self.conflicts),
        );
        counter(
            &mut out,
            "slawatch_append_rejected_total",
            "Appends refused as invalid or not allowed (422, 403).",
            load(&self.rejected),
        );
        let _ = writeln!(
            out,
            "# HELP slawatch_feed_waiters Long-polls of the change feed now waiting.\n# TYPE slawatch_feed_waiters gauge\nslawatch_feed_waiters {}",
            self.feed_waiters.load(Ordering::Relaxed)
        );
        out.push_str("# HELP slawatch_http_requests_total Requests answered, by route and status.\n# TYPE slawatch_http_requests_total counter\n");
        for ((route, status), n) in self.requests.lock().expect("metrics lock").iter() {
            let _ = writeln!(
                out,
                "slawatch_http_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                label(route)
            );
        }
        out.push_str("# HELP slawatch_http_request_duration_seconds Time to answer a request, by route.\n# TYPE slawatch_http_request_duration_seconds histogram\n");
        for (route, h) in self.latency.lock().expect("metrics lock").iter() {
            let route = label(route);
            for (le, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "slawatch_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{le}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "slawatch_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "slawatch_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "slawatch_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out
    }
}

/// A label value escaped as the text format asks (routes are ours, but say so once).
fn label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.request("/v1/events", 201, Duration::from_millis(3));
        m.request("/v1/events", 201, Duration::from_millis(30));
        let text = m.render();
        assert!(text.contains("slawatch_http_request_duration_seconds_bucket{route=\"/v1/events\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains(
            "slawatch_http_request_duration_seconds_bucket{route=\"/v1/events\",le=\"0.05\"} 2"
        ));
        assert!(
            text.contains("slawatch_http_requests_total{route=\"/v1/events\",status=\"201\"} 2")
        );
    }
}
