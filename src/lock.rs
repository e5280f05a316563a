//! One writer per patch repository: `.verda/lock` holds the pid and the
//! command of the process that writes. A second writer waits briefly, then
//! gives up naming the holder; a lock whose process is gone is stale and
//! taken over.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::error::{Error, IoContext, Result};
use crate::manifest::Workspace;

/// Held while it lives; removed on drop.
#[derive(Debug)]
pub struct Lock {
    path: PathBuf,
}

/// How long a second writer waits for the first.
const WAIT: Duration = Duration::from_secs(5);

impl Lock {
    pub fn acquire(ws: &Workspace, command: &str) -> Result<Lock> {
        let path = ws.state_dir().join("lock");
        std::fs::create_dir_all(ws.state_dir()).at(&ws.state_dir())?;
        let started = Instant::now();
        loop {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut file) => {
                    writeln!(file, "{} {command}", std::process::id()).at(&path)?;
                    return Ok(Lock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = std::fs::read_to_string(&path).unwrap_or_default();
                    let pid = holder
                        .split_whitespace()
                        .next()
                        .and_then(|p| p.parse::<u32>().ok());
                    let alive =
                        pid.is_some_and(|pid| PathBuf::from(format!("/proc/{pid}")).exists());
                    if !alive {
                        // Stale: its process is gone (killed, crashed).
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if started.elapsed() >= WAIT {
                        return Err(Error::Refused(format!(
                            "{} is held by process {} (`verda-patch {}`); wait for it to finish, or remove the file if that process is not verda-patch",
                            ws.rel(&path),
                            pid.unwrap_or_default(),
                            holder
                                .split_whitespace()
                                .skip(1)
                                .collect::<Vec<_>>()
                                .join(" ")
                        )));
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(source) => return Err(Error::Io { path, source }),
            }
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
