//! Terminal input on a thread of its own: crossterm's blocking reader, polled with a
//! timeout so that the thread notices when the console stops, feeding the UI task's
//! channel. (ratatui re-exports crossterm without its async `EventStream`.)

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

/// How often the reader looks at the stop flag while no key comes.
const STOP_CHECK: Duration = Duration::from_millis(250);

/// The reader thread; it stops when this is dropped.
pub struct Input {
    stop: Arc<AtomicBool>,
}

impl Drop for Input {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Starts reading; events (or the read error that ended reading) arrive on the
/// receiver, which closes when reading ends.
pub fn spawn() -> std::io::Result<(Input, UnboundedReceiver<std::io::Result<Event>>)> {
    let (tx, rx) = unbounded_channel();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::Builder::new()
        .name("slawatch-input".into())
        .spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                let next = match event::poll(STOP_CHECK) {
                    Ok(false) => continue,
                    Ok(true) => event::read(),
                    Err(e) => Err(e),
                };
                let failed = next.is_err();
                if tx.send(next).is_err() || failed {
                    return;
                }
            }
        })?;
    Ok((Input { stop }, rx))
}
