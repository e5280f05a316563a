//! Small filesystem helpers shared by every writer: writes are atomic
//! (temp file in the same directory, fsync, rename), so an interrupted run
//! leaves either the old or the new file, never half of one.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// Name prefix of the temp files of [`write_atomic`]: one that outlives its
/// write was left by a killed process and may be removed.
pub const TEMP_PREFIX: &str = ".verda-tmp-";

/// Write `bytes` to `path` atomically, creating parent directories.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).at(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(dir)
        .at(dir)?;
    tmp.write_all(bytes).at(path)?;
    // Temp files are private (0600); the result gets the old file's mode,
    // or the usual 0644 for a new one.
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::os::unix::fs::PermissionsExt::from_mode(0o644));
    tmp.as_file().set_permissions(mode).at(path)?;
    tmp.as_file().sync_all().at(path)?;
    tmp.persist(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Write only when the content differs; returns whether it wrote.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    match std::fs::read(path) {
        Ok(old) if old == bytes => Ok(false),
        _ => write_atomic(path, bytes).map(|()| true),
    }
}

/// Read a file, naming it in the error.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).at(path)
}

/// Read a JSON state file; `None` when there is none. A corrupt one is an
/// error naming the file and `recover`, the command that gets out of it.
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path, recover: &str) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::invalid(path, None, format!("{e}; run `{recover}`"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Write a JSON state file atomically.
pub fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    write_atomic(
        path,
        &serde_json::to_vec_pretty(value).expect("plain data serialises"),
    )
}
