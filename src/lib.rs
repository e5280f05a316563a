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
/// writes. No effect otherwise.
pub fn crash_point(name: &str) {
    if std::env::var_os("VERDA_PATCH_CRASH_AT").is_some_and(|at| at == name) {
        std::process::abort();
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
