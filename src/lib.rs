//! verda-patch: keep a downstream fork of an upstream project as a
//! repository of categorised patch files, pinned to an upstream release.
//!
//! The library decides and returns typed results; only the binary prints.
//! `repo` is the only module that speaks git, `patch` turns bytes into
//! patches and back without I/O, `queue` holds the operations.

pub mod error;
pub mod fsutil;
pub mod lock;
pub mod manifest;
pub mod patch;
pub mod progress;
pub mod python;
pub mod queue;
pub mod repo;
pub mod review;
pub mod scaffold;
pub mod sim;
pub mod upstream;

pub use error::{Error, Result};

/// Crash here, like `kill -9`, when `VERDA_PATCH_CRASH_AT` names this point:
/// lets the crash-safety tests stop a command at exact places between its
/// writes. `NAME:N` crashes at the N-th time the point is reached (a point
/// inside a loop: after the N-th file). No effect otherwise.
pub fn crash_point(name: &str) {
    static AT: std::sync::OnceLock<Option<(String, usize)>> = std::sync::OnceLock::new();
    static HITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let at = AT.get_or_init(|| {
        let value = std::env::var("VERDA_PATCH_CRASH_AT").ok()?;
        let counted = value
            .rsplit_once(':')
            .and_then(|(point, n)| Some((point.to_string(), n.parse().ok()?)));
        Some(counted.unwrap_or((value, 1)))
    });
    if let Some((point, nth)) = at {
        if point == name && HITS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == *nth {
            std::process::abort();
        }
    }
}

/// Lower-case hex of `bytes` (digests as names and keys).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Serialise an object id as its hex string.
pub fn serde_oid<S: serde::Serializer>(
    id: &git2::Oid,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}
