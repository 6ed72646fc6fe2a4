//! `slawatch notify-test`: send one desktop notification and say whether a
//! notification server accepted it.

use std::time::Duration;

use anyhow::bail;
use clap::Args;
use notify_rust::Urgency;

use crate::notify::desktop::{send_one, DesktopOptions};

#[derive(Args, Debug)]
pub struct NotifyTestArgs {
    /// Give up on an unanswered D-Bus call after this many seconds.
    #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
    pub timeout: f64,
}

pub const SUMMARY: &str = "slawatch test notification";
pub const BODY: &str = "SLA nudges will reach this desktop, like this one:\n\
                        P1 ACME-4711 breaches restore in 10 min";

pub fn run(args: NotifyTestArgs) -> anyhow::Result<()> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!(
            "--timeout: expected a positive number of seconds, found {}",
            args.timeout
        );
    }
    let options = DesktopOptions {
        timeout: Duration::from_secs_f64(args.timeout),
        ..DesktopOptions::with_icon()
    };
    match send_one(&options, SUMMARY, BODY, Urgency::Normal) {
        Ok((server, id)) => {
            println!("notification accepted by {server} (id {id})");
            Ok(())
        }
        Err(e) if e.unavailable => bail!("desktop notifications unavailable: {e}"),
        Err(e) => bail!("desktop notification not accepted: {e}"),
    }
}
