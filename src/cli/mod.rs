//! The command line: `slawatch [COMMAND]`. Each command lives in its own module.

mod calendar_cmd;
mod checkpoint_cmd;
mod config_args;
pub mod console;
pub mod demo_cmd;
mod evidence_cmd;
mod export_cmd;
mod import_cmd;
mod input;
mod migrate_cmd;
mod notify_test_cmd;
mod penalties_cmd;
mod report_cmd;
mod serve_cmd;
mod served;
pub mod server_args;
mod signing_key;
mod sla_cmd;
mod stderr;
mod token_cmd;
mod verify_cmd;
pub mod watch_cmd;
mod watch_follow;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::store::StoreTarget;

#[derive(Parser, Debug)]
#[command(
    name = "slawatch",
    version,
    about = "Terminal operator console for live SLA monitoring",
    after_help = "With no command, slawatch opens the console on the store; `slawatch --demo` opens it on a fresh demo data set. Press ? in the console for every key binding."
)]
pub struct Cli {
    /// The store file (default: slawatch.db in the platform data directory).
    #[arg(long, global = true, env = "SLAWATCH_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// A PostgreSQL store instead of the file (team mode): postgres://USER@HOST:PORT/DATABASE.
    #[arg(
        long,
        global = true,
        env = "SLAWATCH_DATABASE_URL",
        value_name = "URL",
        conflicts_with = "db"
    )]
    pub database_url: Option<String>,
    /// A team server (`slawatch serve`) instead of a store, for the console, `watch`,
    /// import, export, report, penalties and evidence: http://HOST:PORT or https://HOST.
    /// The token comes from --token-file, else SLAWATCH_TOKEN, else (the console and
    /// `watch`) `token_file` in config.toml.
    #[arg(
        long,
        global = true,
        env = "SLAWATCH_SERVER",
        value_name = "URL",
        conflicts_with_all = ["db", "database_url"]
    )]
    pub server: Option<String>,
    /// Read the --server token from this file (before SLAWATCH_TOKEN and config.toml).
    // Needs --server, checked at run time: with clap's `requires`, a global flag after
    // the subcommand does not see a `--server` given before it.
    #[arg(long, global = true, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Trust this PEM certificate for an https --server (a self-signed one's).
    #[arg(long, global = true, env = "SLAWATCH_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Open the console on a fresh demo data set (at --db if given, which must be new
    /// or empty; else demo.db in the data directory, replaced on every run).
    #[arg(long)]
    pub demo: bool,
    /// Seed of the demo data set.
    #[arg(long, default_value_t = 2026, requires = "demo")]
    pub seed: u64,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// The store this invocation works on.
    pub fn store_path(&self) -> anyhow::Result<PathBuf> {
        match &self.db {
            Some(p) => Ok(p.clone()),
            None => Ok(crate::store::default_path()?),
        }
    }

    /// The store this invocation works on: `--database-url`, else the file.
    pub fn store_target(&self) -> anyhow::Result<StoreTarget> {
        match &self.database_url {
            Some(url) => Ok(StoreTarget::Postgres(url.clone())),
            None => Ok(StoreTarget::Sqlite(self.store_path()?)),
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Business-calendar arithmetic: when is a budget due, how much working time passed.
    #[command(subcommand)]
    Calendar(calendar_cmd::CalendarCmd),
    /// SLA clocks of tickets from an events file.
    #[command(subcommand)]
    Sla(sla_cmd::SlaCmd),
    /// Seed a new store with a realistic NOC data set (about 200 open tickets).
    Demo(demo_cmd::DemoArgs),
    /// Validate event or ticket files completely, then store all of them or nothing.
    Import(import_cmd::ImportArgs),
    /// Write the stored events (or one ticket's) as JSON lines or CSV.
    Export(export_cmd::ExportArgs),
    /// Recompute every ticket's hash chain and the projection; exit 1 on any problem.
    Verify(verify_cmd::VerifyArgs),
    /// Sign the store's Merkle tree (size, root, time) and print the checkpoint; keep a copy
    /// outside the store to check it against later with `verify --checkpoint`.
    Checkpoint(checkpoint_cmd::CheckpointArgs),
    /// Write a ticket's evidence package: HTML, Markdown and JSON with every event and hash.
    Evidence(evidence_cmd::EvidenceArgs),
    /// A month's penalties per contract; `--record` appends them as events; `adjust` records a negotiated amount.
    Penalties(Box<penalties_cmd::PenaltiesArgs>),
    /// Monthly compliance report: adherence, breaches, penalties and adjustments per customer.
    Report(report_cmd::ReportArgs),
    /// Nudge before every SLA deadline with no console: print each nudge and send it as
    /// a desktop notification.
    Watch(watch_cmd::WatchArgs),
    /// Serve the store over HTTP for a team: consoles, watchers and monitoring (see README, "Team mode").
    Serve(serve_cmd::ServeArgs),
    /// Copy a store file into a PostgreSQL database, every hash unchanged.
    Migrate(migrate_cmd::MigrateArgs),
    /// Bearer tokens of `slawatch serve`: create, list, revoke.
    #[command(subcommand)]
    Token(token_cmd::TokenCmd),
    /// Send one desktop notification and report whether a notification server took it.
    NotifyTest(notify_test_cmd::NotifyTestArgs),
}

/// Runs the command; the error is printed by `main` and turns into exit status 1.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let db = cli.store_target();
    let file = cli.store_path();
    let explicit_db = cli.db.clone();
    if cli.database_url.is_some() && matches!(cli.command, None | Some(Command::Watch(_))) {
        anyhow::bail!("the console and `watch` work on a store file (--db); on a team's PostgreSQL store, run `slawatch serve` and connect through it");
    }
    if cli.server.is_some() && cli.demo {
        anyhow::bail!(
            "--demo opens the console on a demo store file; it cannot be used with --server"
        );
    }
    if cli.server.is_none() && cli.token_file.is_some() {
        anyhow::bail!("--token-file is the token for a --server; without --server there is none to give it to");
    }
    if let Some(server) = server_args::Server::of(&cli) {
        return match cli.command {
            None => console::run_on_server(&server, started),
            Some(Command::Watch(args)) => watch_cmd::run(args, watch_cmd::On::Server(server)),
            command => run_remote(command, &server),
        };
    }
    match cli.command {
        Some(Command::Calendar(cmd)) => calendar_cmd::run(cmd),
        Some(Command::Sla(cmd)) => sla_cmd::run(cmd),
        Some(Command::Demo(args)) => demo_cmd::run(args, &db?),
        Some(Command::Import(args)) => import_cmd::run(args, &db?),
        Some(Command::Export(args)) => export_cmd::run(args, &db?),
        Some(Command::Verify(args)) => verify_cmd::run(args, explicit_db, db),
        Some(Command::Checkpoint(args)) => checkpoint_cmd::run(args, &db?),
        Some(Command::Evidence(args)) => evidence_cmd::run(args, &db?),
        Some(Command::Penalties(args)) => penalties_cmd::run(*args, &db?),
        Some(Command::Report(args)) => report_cmd::run(args, &db?),
        Some(Command::Serve(args)) => serve_cmd::run(args, &db?),
        Some(Command::Token(cmd)) => token_cmd::run(cmd, &db?),
        Some(Command::Migrate(args)) => migrate_cmd::run(args),
        Some(Command::Watch(args)) => watch_cmd::run(args, watch_cmd::On::File(file?)),
        Some(Command::NotifyTest(args)) => notify_test_cmd::run(args),
        None => console::run(&cli, started),
    }
}

/// A command with `--server`: the five that read or feed the log through the API.
fn run_remote(command: Option<Command>, server: &server_args::Server) -> anyhow::Result<()> {
    let client = || {
        let token = crate::remote::token(server.token_file.as_deref(), None)?;
        crate::remote::Client::new(&server.url, token, server.ca_cert.as_deref())
    };
    match command {
        Some(Command::Import(args)) => import_cmd::run_remote(args, &client()?),
        Some(Command::Export(args)) => export_cmd::run_remote(args, &client()?),
        Some(Command::Evidence(args)) => evidence_cmd::run_remote(args, &client()?),
        Some(Command::Penalties(args)) => penalties_cmd::run_remote(*args, &client()?),
        Some(Command::Report(args)) => report_cmd::run_remote(args, &client()?),
        Some(Command::Calendar(_)) | Some(Command::Sla(_)) | Some(Command::NotifyTest(_)) => {
            anyhow::bail!("--server: this command uses no store")
        }
        _ => anyhow::bail!(
            "--server works with the console, watch, import, export, report, penalties and evidence; verify, migrate and token work on the database directly (--db or --database-url)"
        ),
    }
}

/// How a run ended, for `main`.
pub enum Outcome {
    Done(anyhow::Result<()>),
    /// Standard output was closed by its reader (`slawatch export | head`).
    OutputClosed,
}

/// Runs the command; a closed standard output, whether it comes back as an error or
/// as `println!`'s panic, ends the run quietly, as it ends `cat`. The panic unwinds, so
/// a transaction under way is rolled back as on any error.
pub fn run_catching_closed_output(cli: Cli) -> Outcome {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !is_closed_stdout_panic(info.payload()) {
            default_hook(info);
        }
    }));
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(cli))) {
        Ok(Err(e)) if is_broken_pipe(&e) => Outcome::OutputClosed,
        Ok(result) => Outcome::Done(result),
        Err(panic) if is_closed_stdout_panic(&*panic) => Outcome::OutputClosed,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The exit status of a run, with its error printed: every message echoes input, so
/// it goes through the terminal sanitiser.
pub fn exit_status(outcome: Outcome) -> ExitCode {
    match outcome {
        Outcome::Done(Ok(())) => ExitCode::SUCCESS,
        Outcome::Done(Err(e)) => {
            stderr::line(format_args!("slawatch: {e:#}"));
            ExitCode::FAILURE
        }
        // What a shell reports for a process ended by SIGPIPE.
        Outcome::OutputClosed => ExitCode::from(141),
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// `println!` panics with "failed printing to stdout: Broken pipe (os error 32)".
fn is_closed_stdout_panic(payload: &(dyn std::any::Any + Send)) -> bool {
    let msg = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe")
}
