//! Progress reporting from the library. The library never prints; the CLI
//! plugs in progress bars (only on a terminal) or, with `--verbose`, a log
//! of every step with timings; tests plug in nothing.

pub trait Progress {
    /// A new phase of work; `total` when the amount is known.
    fn begin(&self, label: &str, total: Option<u64>);
    /// Absolute position within the current phase.
    fn set(&self, position: u64);
    /// The phase ended.
    fn end(&self);
    /// One step done, in words (`feature/0001-x.patch: applied exactly`,
    /// `ref refs/verda/applied -> 1a2b3c4d`): what `--verbose` shows.
    fn note(&self, _text: &str) {}
    /// Where a child process (`git fetch`) may draw its own progress
    /// meter, as it would on a terminal: bars on a terminal pass it to
    /// stderr; everything else gets `None` and the child stays quiet.
    fn child_progress(&self) -> Option<Box<dyn std::io::Write>> {
        None
    }
}

/// Progress that goes nowhere.
pub struct Silent;

impl Progress for Silent {
    fn begin(&self, _: &str, _: Option<u64>) {}
    fn set(&self, _: u64) {}
    fn end(&self) {}
}
