//! Typed errors of the library. Every message names the file, patch or path
//! involved and, where there is one, the command that gets the user unstuck.

use std::path::{Path, PathBuf};

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The user asked for something that cannot be done as asked (exit 2).
    #[error("{0}")]
    Usage(String),

    /// A patch repository file is malformed.
    #[error("{}: {message}", display_path(file, *line))]
    Invalid {
        file: PathBuf,
        line: Option<usize>,
        message: String,
    },

    /// A patch that does not apply where it has to.
    #[error("{patch}: {message}")]
    PatchFailed { patch: String, message: String },

    /// Stopped on a conflict that the user has to resolve (exit 3).
    #[error("{0}")]
    Conflict(String),

    /// Refused to act because it would lose or overwrite the user's work.
    #[error("{0}")]
    Refused(String),

    /// Refused because another operation of the project is pending (see
    /// `queue::journal`); `recover` is the way out, as data, written once.
    #[error("{message}; {recover}")]
    Blocked { message: String, recover: Recover },

    /// A failure talking to an upstream source.
    #[error("{0}")]
    Upstream(String),

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// A report template failed to render: a bug in verda-patch.
    #[error("rendering {template} failed: {message}; please report this bug")]
    Render { template: String, message: String },

    #[error("{context}: {source}")]
    Git {
        context: String,
        source: git2::Error,
    },
}

/// How to get out of a pending operation: the command that finishes it,
/// what finishing does, the command that skips the item it stopped on and
/// the one that undoes it. Rendered as "run `finish` to finish it (note),
/// `skip` to drop the one it stopped on, or `undo` to undo it".
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recover {
    /// The command that finishes the operation.
    pub finish: String,
    /// What finishing does, for a person ("it writes the patch files again").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The command that drops the item it stopped on, if there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skip: Option<String>,
    /// The command that undoes it, if it can be undone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undo: Option<String>,
}

impl std::fmt::Display for Recover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "run `{}` to finish it", self.finish)?;
        if let Some(note) = &self.note {
            write!(f, " ({note})")?;
        }
        if let Some(skip) = &self.skip {
            let or = if self.undo.is_some() { "" } else { "or " };
            write!(f, ", {or}`{skip}` to drop the one it stopped on")?;
        }
        if let Some(undo) = &self.undo {
            write!(f, ", or `{undo}` to undo it")?;
        }
        Ok(())
    }
}

fn display_path(file: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", file.display()),
        None => file.display().to_string(),
    }
}

impl Error {
    /// The process exit code the design contract gives this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Usage(_) => 2,
            Error::Conflict(_) => 3,
            _ => 1,
        }
    }

    pub fn invalid(
        file: impl Into<PathBuf>,
        line: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Error::Invalid {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

/// Attach a path to an I/O error.
pub trait IoContext<T> {
    fn at(self, path: &Path) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, path: &Path) -> Result<T> {
        self.map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// Attach what we were doing to a libgit2 error.
pub trait GitContext<T> {
    fn git(self, context: impl FnOnce() -> String) -> Result<T>;
}

impl<T> GitContext<T> for std::result::Result<T, git2::Error> {
    fn git(self, context: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Git {
            context: context(),
            source,
        })
    }
}
