//! A spinner on stderr with the number of files analysed, for people watching a terminal:
//! never when stderr is piped or redirected, never in CI logs, and only once a scan has
//! run longer than a moment, so quick scans print nothing extra.

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// How long a scan runs before the spinner appears.
const DELAY: Duration = Duration::from_millis(500);
/// How often the spinner redraws.
const TICK: Duration = Duration::from_millis(100);

pub struct Progress {
    stop: Sender<()>,
    thread: JoinHandle<()>,
}

impl Progress {
    /// Starts watching `files` (incremented by the engine), or `None` when nobody would
    /// see a spinner.
    pub fn start(files: Arc<AtomicUsize>) -> Option<Progress> {
        if !wanted() {
            return None;
        }
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            if stopped.recv_timeout(DELAY) != Err(RecvTimeoutError::Timeout) {
                return;
            }
            let bar = ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template(
                    "{spinner} scanning: {pos} files analysed ({elapsed})",
                )
                .expect("the template is valid"),
            );
            loop {
                bar.set_position(files.load(Ordering::Relaxed) as u64);
                bar.tick();
                if stopped.recv_timeout(TICK) != Err(RecvTimeoutError::Timeout) {
                    break;
                }
            }
            bar.finish_and_clear();
        });
        Some(Progress { stop, thread })
    }

    /// Stops the spinner and erases it, before anything else is written.
    pub fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.thread.join();
    }
}

/// A terminal on stderr, outside CI (`CI` is set by GitHub Actions, GitLab CI and most
/// others), and not a dumb terminal.
fn wanted() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    std::io::stderr().is_terminal()
        && !set("CI")
        && std::env::var_os("TERM").is_none_or(|term| term != "dumb")
}
