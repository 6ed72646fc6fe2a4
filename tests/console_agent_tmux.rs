//! What a new agent meets in the real console under tmux at 80x24: the header says who
//! they are (and warns when that is only `root`), Ctrl-C quits even with every quit key
//! unbound, and a new P1 arriving from another writer announces itself. Without tmux
//! these tests skip loudly, and fail when SLAWATCH_REQUIRE_SERVICES=1 (as CI sets).

mod tmux_support;

use tmux_support::{another_writer_detects, countdowns, tmux_available, Setup, Tmux};

fn demo(d: &std::path::Path) -> String {
    format!("--demo --db {}", d.join("demo.db").display())
}

fn queue_shown(s: &str) -> bool {
    s.contains("open 200") && countdowns(s).len() > 5
}

#[test]
fn ctrl_c_quits_when_the_keymap_unbinds_quit() {
    if !tmux_available() {
        return;
    }
    let setup = Setup {
        keymap: Some("[global]\nquit = []\n"),
        size: (80, 24),
        ..Setup::default()
    };
    let t = Tmux::launch("ctrlc", &setup, demo);
    t.wait_for("the queue", queue_shown);
    // q is unbound now: it is an unknown key, and the console stays.
    t.keys(&["q"]);
    t.wait_for("the unknown-key notice", |s| s.contains("q does nothing"));
    assert!(!t.path("exit-status").exists(), "q quit: {}", t.screen());
    t.keys(&["C-c"]);
    assert_eq!(t.wait_exit(), "0", "exit status");
    assert_eq!(t.display("#{alternate_on}"), "0", "alternate screen left");
}

#[test]
fn the_header_names_the_agent() {
    if !tmux_available() {
        return;
    }
    let setup = Setup {
        size: (80, 24),
        ..Setup::default()
    };
    let t = Tmux::launch("agent", &setup, demo);
    let s = t.wait_for("the queue", queue_shown);
    let header: String = s.lines().take(2).collect::<Vec<_>>().join("\n");
    assert!(header.contains("as e2e-agent"), "{header}");
    assert!(!header.contains("root"), "{header}");
}

#[test]
fn the_header_warns_when_the_agent_is_only_root() {
    if !tmux_available() {
        return;
    }
    let setup = Setup {
        env: "USER=root LOGNAME=root",
        config: "bell = false\n",
        size: (80, 24),
        ..Setup::default()
    };
    let t = Tmux::launch("root", &setup, demo);
    let s = t.wait_for("the queue", queue_shown);
    let header: String = s.lines().take(3).collect::<Vec<_>>().join("\n");
    assert!(header.contains("as root"), "{header}");
    // At 80 columns the advice may be cut, but it starts where it can be read.
    assert!(header.contains("(set SLAWATCH_A"), "{header}");
}

#[test]
fn a_new_p1_from_another_writer_gets_a_toast_and_a_new_mark() {
    if !tmux_available() {
        return;
    }
    let setup = Setup {
        size: (80, 24),
        ..Setup::default()
    };
    let t = Tmux::launch("arrival", &setup, demo);
    t.wait_for("the queue", queue_shown);
    another_writer_detects(
        &t.path("demo.db"),
        "LIVE-7",
        "monitoring",
        serde_json::json!({"priority": "P1", "customer": "acme-telecom", "title": "core router down"}),
    );
    t.wait_for("the arrival's toast", |s| {
        s.contains("+ new P1 LIVE-7: core router down")
    });
    // Its row, wherever it sorted, is marked NEW.
    t.keys(&["/"]);
    t.text("LIVE-7");
    t.keys(&["Enter"]);
    let s = t.wait_for("the filtered queue", |s| {
        s.lines()
            .any(|l| l.contains("LIVE-7") && !l.contains("+ new"))
    });
    let row = s
        .lines()
        .find(|l| l.contains("LIVE-7") && !l.contains("+ new"))
        .unwrap();
    assert!(row.contains("NEW"), "{row}\n{s}");
}

#[test]
fn two_consoles_escalating_one_ticket_store_one_and_the_second_sees_why() {
    if !tmux_available() {
        return;
    }
    let small = |config| Setup {
        config,
        size: (80, 24),
        ..Setup::default()
    };
    let alice = Tmux::launch("alice", &small("agent = \"alice\"\nbell = false\n"), demo);
    let first = alice.wait_for("alice's queue", queue_shown);
    let db = alice.path("demo.db");
    let bob = Tmux::launch("bob", &small("agent = \"bob\"\nbell = false\n"), |_| {
        format!("--db {}", db.display())
    });
    bob.wait_for("bob's queue", queue_shown);
    let ticket = tmux_support::first_ticket(&first);
    for t in [&alice, &bob] {
        t.keys(&["/"]);
        t.text(&ticket);
        t.keys(&["Enter"]);
        t.wait_for("the one ticket", |s| {
            tmux_support::tickets_listed(s) == [ticket.clone()]
        });
    }
    // Alice opens Escalate; Bob escalates first.
    alice.keys(&["e"]);
    alice.wait_for("alice's form", |s| s.contains("Escalate"));
    bob.keys(&["e"]);
    bob.wait_for("bob's form", |s| s.contains("Escalate"));
    bob.text("noc-l2");
    bob.keys(&["Enter"]);
    bob.wait_for("bob's escalation", |s| s.contains("recorded escalated"));
    // Alice's submit comes back with Bob's escalation; she cancels. (Her own name is
    // one the form knows: a name on no ticket would first ask to be submitted again.)
    alice.text("alice");
    alice.keys(&["Enter"]);
    let s = alice.wait_for("the form to come back", |s| {
        s.contains("Changed since you opened") && s.contains("by bob")
    });
    assert!(s.contains("not recorded"), "{s}");
    alice.keys(&["Escape"]);
    alice.wait_for("the form to close", |s| !s.contains("Changed since"));
    for t in [&alice, &bob] {
        t.keys(&["q"]);
        assert_eq!(t.wait_exit(), "0");
    }
    let escalations: Vec<String> = tmux_support::export(&db, &ticket)
        .into_iter()
        .filter(|e| e["kind"] == "escalated" && (e["actor"] == "alice" || e["actor"] == "bob"))
        .map(|e| e["actor"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(escalations, ["bob"]);
}
