//! Throw-away databases for tests and benchmarks on the PostgreSQL at
//! `SLAWATCH_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//! Where none answers, a test skips and says so loudly, unless
//! `SLAWATCH_REQUIRE_SERVICES=1` (CI), where it fails.

use std::sync::atomic::{AtomicU32, Ordering};

use postgres::{Client, NoTls};

const DEFAULT: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A database created for one test and dropped with it.
pub struct ScratchDb {
    admin: String,
    name: String,
    pub url: String,
}

impl ScratchDb {
    /// A new, empty database; `None` (after saying so on stderr) when PostgreSQL is
    /// unreachable and services are not required.
    pub fn create(test: &str) -> Option<ScratchDb> {
        static N: AtomicU32 = AtomicU32::new(0);
        let admin = std::env::var("SLAWATCH_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT.into());
        let mut client = match Client::connect(&admin, NoTls) {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("SLAWATCH_REQUIRE_SERVICES").as_deref() == Ok("1") {
                    panic!("{test}: PostgreSQL at {admin} is required (SLAWATCH_REQUIRE_SERVICES=1) but unreachable: {e}");
                }
                eprintln!("SKIPPED {test}: no PostgreSQL at {admin} ({e}); set SLAWATCH_TEST_DATABASE_URL, or SLAWATCH_REQUIRE_SERVICES=1 to fail instead");
                return None;
            }
        };
        let name = format!(
            "slw_{}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| panic!("{test}: cannot create database {name}: {e}"));
        let url = match admin.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}"),
            None => panic!("{admin}: expected a URL ending in /DATABASE"),
        };
        Some(ScratchDb { admin, name, url })
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut c) = Client::connect(&self.admin, NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
