use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = slawatch::cli::Cli::parse();
    match slawatch::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("slawatch: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
