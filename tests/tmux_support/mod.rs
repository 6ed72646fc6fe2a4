//! The real console under tmux: a tmux server of a test's own with one session running
//! the console, and what the tests read off its screen and its store.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_slawatch");

pub fn tmux_available() -> bool {
    let ok = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        if std::env::var("SLAWATCH_REQUIRE_SERVICES").as_deref() == Ok("1") {
            panic!("tmux is required (SLAWATCH_REQUIRE_SERVICES=1) but not installed");
        }
        eprintln!();
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
        eprintln!(
            "!!! SKIPPED: tmux is not installed, the console's end-to-end test did not run !!!"
        );
        eprintln!("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!");
    }
    ok
}

/// How a console starts: its environment, config.toml, keymap.toml and terminal size.
pub struct Setup<'a> {
    pub env: &'a str,
    pub config: &'a str,
    pub keymap: Option<&'a str>,
    pub size: (u16, u16),
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Setup {
            env: "",
            config: "agent = \"e2e-agent\"\nbell = false\n",
            keymap: None,
            size: (120, 40),
        }
    }
}

/// A tmux server of our own with one session running the console.
pub struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// `args` gets the temporary directory and gives the console's arguments.
    pub fn start(name: &str, args: impl FnOnce(&Path) -> String) -> Tmux {
        Tmux::start_env(name, "", args)
    }

    /// As `start`, with `env` (`NAME=value ...`) in the console's environment.
    pub fn start_env(name: &str, env: &str, args: impl FnOnce(&Path) -> String) -> Tmux {
        Tmux::launch(
            name,
            &Setup {
                env,
                ..Setup::default()
            },
            args,
        )
    }

    /// The console as `setup` says, with the arguments `args` gives for the directory.
    pub fn launch(name: &str, setup: &Setup, args: impl FnOnce(&Path) -> String) -> Tmux {
        let dir = tempfile::tempdir().unwrap();
        let cfg = dir.path().join("cfg/slawatch");
        std::fs::create_dir_all(&cfg).unwrap();
        std::fs::write(cfg.join("config.toml"), setup.config).unwrap();
        if let Some(keymap) = setup.keymap {
            std::fs::write(cfg.join("keymap.toml"), keymap).unwrap();
        }
        let args = args(dir.path());
        let socket = format!("slawatch-{name}-{}", std::process::id());
        let t = Tmux { socket, dir };
        // The exit status goes to a file: tmux versions differ in reporting it.
        let cmd = format!(
            "env -u SLAWATCH_AGENT XDG_CONFIG_HOME={cfg} XDG_DATA_HOME={data} HOME={home} TZ=UTC TERM=xterm-256color {env} {BIN} {args}; echo $? > {status}; sleep 60",
            status = t.dir.path().join("exit-status").display(),
            cfg = t.dir.path().join("cfg").display(),
            data = t.dir.path().join("data").display(),
            home = t.dir.path().display(),
            env = setup.env,
        );
        let (w, h) = (setup.size.0.to_string(), setup.size.1.to_string());
        let out = t.tmux(&["new-session", "-d", "-s", "t", "-x", &w, "-y", &h, &cmd]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.tmux(&["set-option", "-t", "t", "remain-on-exit", "on"]);
        t
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    pub fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    pub fn screen_raw(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-e", "-t", "t"]).stdout)
            .into_owned()
    }

    pub fn display(&self, format: &str) -> String {
        String::from_utf8_lossy(&self.tmux(&["display", "-p", "-t", "t", format]).stdout)
            .trim()
            .to_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "t", k]);
        }
    }

    pub fn text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "t", "-l", text]);
    }

    /// Waits until the screen satisfies `pred`, or fails with the screen.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_exit(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        let file = self.path("exit-status");
        loop {
            if let Ok(s) = std::fs::read_to_string(&file) {
                if s.ends_with('\n') {
                    return s.trim().to_owned();
                }
            }
            if Instant::now() > deadline {
                panic!("the console did not quit; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Countdowns on the screen (`1:23:45`, `-0:12:03`), in order.
pub fn countdowns(screen: &str) -> Vec<String> {
    screen
        .split_whitespace()
        .filter(|w| {
            let w = w.trim_start_matches('-');
            let parts: Vec<_> = w.split(':').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_owned)
        .collect()
}

/// The ticket ids of the queue's rows, top to bottom.
pub fn tickets_listed(screen: &str) -> Vec<String> {
    // The lines under the column headings (header lines above them vary).
    screen
        .lines()
        .skip_while(|l| !(l.contains("Ticket") && l.contains("Customer")))
        .skip(1)
        // A row starts with its priority (after the urgency mark): not the footer's
        // messages, which name tickets too.
        .filter(|row| {
            row.split_whitespace().take(2).any(|w| {
                w.len() == 2 && w.starts_with('P') && w[1..].chars().all(|c| c.is_ascii_digit())
            })
        })
        .filter_map(|row| {
            row.split_whitespace()
                .find(|w| {
                    w.split_once('-').is_some_and(|(a, b)| {
                        !a.is_empty() && !b.is_empty() && b.chars().all(|c| c.is_ascii_digit())
                    })
                })
                .map(str::to_owned)
        })
        .collect()
}

/// The ticket id on the first row of the queue.
pub fn first_ticket(screen: &str) -> String {
    tickets_listed(screen)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no ticket id on the first row:\n{screen}"))
}

pub fn export(db: &Path, ticket: &str) -> Vec<Value> {
    let out = Command::new(BIN)
        .args(["export", "--format", "jsonl", "--ticket", ticket, "--db"])
        .arg(db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Another writer on the store `db` records a new ticket, detected now.
pub fn another_writer_detects(db: &Path, ticket: &str, actor: &str, payload: Value) {
    use slawatch::store::Store;
    let mut store = slawatch::store::SqliteStore::open(db).unwrap();
    let now = chrono::Utc::now();
    let e = slawatch::model::Event::new(
        ticket,
        slawatch::model::EventKind::Detected,
        now,
        now,
        actor,
        serde_json::from_value(payload).unwrap(),
    );
    store.append(&e, slawatch::store::Expect::Any).unwrap();
}
