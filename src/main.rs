use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = slawatch::cli::Cli::parse();
    slawatch::cli::exit_status(slawatch::cli::run_catching_closed_output(cli))
}
