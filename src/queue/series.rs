//! `patches/<project>/series`: the apply order, one `category/NNNN-slug.patch`
//! per line, `#` comments kept attached to the entry below them so a rewrite
//! keeps the file's shape (and merges stay line-based and friendly).

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Feature,
    Bugfix,
    Upstreamable,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Feature, Category::Bugfix, Category::Upstreamable];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Feature => "feature",
            Category::Bugfix => "bugfix",
            Category::Upstreamable => "upstreamable",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for Category {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Category::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                format!("unknown category `{s}` (expected feature, bugfix or upstreamable)")
            })
    }
}

/// One line of the series: a patch path relative to `patches/<project>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    /// Comment and blank lines directly above this entry, verbatim.
    pub above: Vec<String>,
    /// 1-based line in the series file (0 for entries not read from a file).
    pub line: usize,
}

impl Entry {
    pub fn new(path: String) -> Entry {
        Entry {
            path,
            above: Vec::new(),
            line: 0,
        }
    }

    pub fn category(&self) -> Category {
        category_of(&self.path).expect("validated when parsed or created")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    pub entries: Vec<Entry>,
    /// Comment and blank lines after the last entry.
    pub tail: Vec<String>,
}

/// The category of a series path, if it has the `category/name.patch` shape.
pub fn category_of(path: &str) -> Option<Category> {
    let (dir, name) = path.split_once('/')?;
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return None;
    }
    dir.parse().ok()
}

impl Series {
    pub fn parse(text: &str, file: &Path) -> Result<Series> {
        let mut series = Series::default();
        let mut pending = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                pending.push(raw.to_string());
                continue;
            }
            if content.split_whitespace().count() > 1 {
                return Err(Error::invalid(
                    file,
                    Some(line),
                    format!(
                        "`{content}`: one patch path per line (patch options like -p are not supported)"
                    ),
                ));
            }
            if category_of(content).is_none() || !content.ends_with(".patch") {
                return Err(Error::invalid(
                    file,
                    Some(line),
                    format!(
                        "`{content}` is not `<category>/<name>.patch` with category feature, bugfix or upstreamable"
                    ),
                ));
            }
            if let Some(first) = series.entries.iter().find(|e| e.path == content) {
                return Err(Error::invalid(
                    file,
                    Some(line),
                    format!("`{content}` is listed twice (first on line {})", first.line),
                ));
            }
            if content != raw.trim_end() {
                // An inline comment: keep it as a comment line above the entry.
                pending.push(format!(
                    "#{}",
                    raw.split_once('#').map(|x| x.1).unwrap_or("")
                ));
            }
            series.entries.push(Entry {
                path: content.to_string(),
                above: std::mem::take(&mut pending),
                line,
            });
        }
        series.tail = pending;
        Ok(series)
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            for line in &entry.above {
                out.push_str(line);
                out.push('\n');
            }
            out.push_str(&entry.path);
            out.push('\n');
        }
        for line in &self.tail {
            out.push_str(line);
            out.push('\n');
        }
        out
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.path.as_str())
    }

    pub fn position(&self, path: &str) -> Option<usize> {
        self.entries.iter().position(|e| e.path == path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_survive_a_round_trip() {
        let text = "# quota work\nfeature/0001-a.patch\n\n# fixes\nbugfix/0002-b.patch\n# end\n";
        let series = Series::parse(text, Path::new("series")).unwrap();
        assert_eq!(series.entries.len(), 2);
        assert_eq!(series.render(), text);
    }

    #[test]
    fn bad_category_names_the_line() {
        let err =
            Series::parse("feature/0001-a.patch\nmisc/0002-b.patch\n", Path::new("s")).unwrap_err();
        assert!(
            err.to_string().starts_with("s:2: `misc/0002-b.patch`"),
            "{err}"
        );
    }

    #[test]
    fn duplicate_entry_is_an_error() {
        let err = Series::parse("bugfix/0001-a.patch\nbugfix/0001-a.patch\n", Path::new("s"))
            .unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
    }
}
