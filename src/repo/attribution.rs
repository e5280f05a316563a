//! Conflict attribution: which upstream commits between two pins changed
//! the lines a conflict hunk is about.
//!
//! The choice, and why: the lines are followed **backwards from the new
//! pin**, as `git log -L<start>,<end>:<file> <old>..<new>` follows them,
//! rather than forwards from the old pin. A conflict hunk's upstream side
//! (`ours` in a rebase: the new pin plus the earlier patches) is mapped onto
//! the new pin's file, then walked through the commits of `old..new`
//! children first; each commit's zero-context diff against its parent says
//! whether it changed the tracked lines and where they were before it.
//! Walking from one tip handles OpenStack's merge-heavy history, which a
//! forward walk from the old pin cannot (the old pin is often on a stable
//! branch, not an ancestor of the commits that matter); commits reachable
//! from the old pin are never visited, so our patches and everything
//! upstream released before the old pin stay out.
//!
//! The rules, as git's line-log has them:
//!
//! * a commit changed a non-empty range when its diff adds or replaces a
//!   line inside it, or deletes lines between two of its lines (not at its
//!   edges); the range then continues in the parent as the parent's lines
//!   it came from (a replaced block in full);
//! * a merge whose file equals one parent's, or whose diff against one
//!   parent leaves the ranges alone, passes them to that parent only (the
//!   side branch that made the change is followed); otherwise to every
//!   parent. Merges themselves are never named: Gerrit's "Merge ..." commits
//!   say nothing a reviewer needs;
//! * a path missing in the parent is looked up as a rename (`git log
//!   --follow`'s rename detection, at git's 50 %) in that commit only.
//!
//! Two additions where `-L` has no answer: a hunk whose upstream side is
//! empty (upstream deleted the lines our patch edits) is tracked as a point
//! between two lines; a commit that removed lines at that point changed it,
//! and the removed lines are followed further back as a range. And a
//! conflict hunk includes lines upstream removed right at the edges of its
//! upstream side (git's merge joins adjacent changes into one hunk), which
//! `-L` ignores: a commit that removed lines exactly at an edge is named
//! too, and those lines are followed back the same way.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Conflict, Git, Oid};
use crate::error::{GitContext, Result};

/// Lines of a file: `start` is 0-based; `len` 0 is the point before line
/// `start` (lines were removed there, or the file ends there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub len: usize,
}

impl Span {
    pub fn end(self) -> usize {
        self.start + self.len
    }
}

/// One hunk of a zero-context diff, 0-based: lines `old..old+old_len` of
/// the old file became `new..new+new_len` of the new one. An empty side's
/// start is the index of the line it sits before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Hunk {
    old: usize,
    old_len: usize,
    new: usize,
    new_len: usize,
}

/// Lines in a file, as reports print them: 1-based `start`, `count` lines
/// (0: the place before line `start` where lines were removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lines {
    pub start: usize,
    pub count: usize,
}

impl From<Span> for Lines {
    fn from(span: Span) -> Lines {
        Lines {
            start: span.start + 1,
            count: span.len,
        }
    }
}

impl std::fmt::Display for Lines {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.count {
            0 => write!(f, "before line {}", self.start),
            1 => write!(f, "line {}", self.start),
            n => write!(f, "lines {}-{}", self.start, self.start + n - 1),
        }
    }
}

/// An upstream commit named by attribution, with what a release engineer
/// looks up: its subject and the `Change-Id` / `Closes-Bug` trailers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamCommit {
    /// The full commit id.
    pub commit: String,
    pub subject: String,
    pub change_id: Option<String>,
    /// Every `Closes-Bug:` trailer's value, in order (`#2000001`).
    pub closes_bug: Vec<String>,
    /// A commit without parents: it "added" every line it has, which in a
    /// cut or grafted history (a shallow clone, a bundle of recent
    /// history) stands for all the history before it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub root: bool,
}

/// One conflict hunk and the upstream commits that changed its lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HunkAttribution {
    /// Where the hunk's lines are in the old pin's file (`None`: the lines
    /// are not upstream's, e.g. an earlier patch's).
    pub old: Option<Lines>,
    /// Where the hunk's lines are in the new pin's file.
    pub new: Option<Lines>,
    /// The non-merge commits of `old..new` that changed them, oldest first.
    pub commits: Vec<UpstreamCommit>,
}

/// The conflict hunks of one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileAttribution {
    pub path: String,
    pub hunks: Vec<HunkAttribution>,
    /// Why there are no hunks (a binary file, a file one side deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Why a patch conflicted on a new release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "history", rename_all = "kebab-case")]
pub enum Attribution {
    /// A git source: per conflicting file and hunk, the upstream commits.
    Commits { files: Vec<FileAttribution> },
    /// A source without history between releases (PyPI sdists are
    /// imported as one snapshot commit per release).
    None,
    /// The history could not be read (a shallow or damaged mirror): why.
    /// The replay goes on; only the explanation is missing.
    Unavailable { reason: String },
}

impl Git {
    /// Attribute each conflict of a replay from `old` to `new` (both
    /// commits of the upstream history this repository reads): cut the
    /// merged file into hunks, map each hunk's `ours` side (the new base)
    /// onto the file at `new`, and follow it through `old..new`.
    pub fn attribute(&self, conflicts: &[Conflict], old: Oid, new: Oid) -> Result<Attribution> {
        let (old_tree, new_tree) = (self.tree_of(old)?, self.tree_of(new)?);
        let mut files = Vec::with_capacity(conflicts.len());
        for conflict in conflicts {
            let path = conflict.path.clone();
            let note = |why: &str| FileAttribution {
                path: path.clone(),
                hunks: Vec::new(),
                note: Some(why.to_string()),
            };
            let Some(at_new) = self.file_at(new_tree, &path)? else {
                files.push(note("not in the new release (deleted or renamed upstream)"));
                continue;
            };
            let (Some(base), Some(ours)) = (blob(&conflict.base), blob(&conflict.ours)) else {
                files.push(note("added or deleted on one side: no lines to follow"));
                continue;
            };
            let Some(file) = self.conflicted_file(conflict, ["base", "ours", "theirs"])? else {
                files.push(note("not a text conflict"));
                continue;
            };
            let at_old = self.file_at(old_tree, &path)?.map(|f| f.id);
            // Our earlier patches' lines drop out of both maps.
            let to_new = self.line_hunks(Some(at_new.id), ours)?;
            let to_old = self.line_hunks(at_old, base)?;
            let mut old_lines = Vec::new();
            let mut spans = Vec::new();
            for hunk in file.hunks() {
                let (Some(b), Some(o)) = (hunk.base.range(), hunk.ours.range()) else {
                    continue;
                };
                let span = |r: std::ops::Range<usize>| Span {
                    start: r.start,
                    len: r.len(),
                };
                old_lines.push(to_old.as_ref().and_then(|h| map_back(h, span(b))));
                spans.push(to_new.as_ref().and_then(|h| map_back(h, span(o))));
            }
            // A hunk's lines and, since the conflict region ends where
            // upstream's lines end, lines upstream removed at its edges.
            let tracked: Vec<Vec<Mark>> = spans
                .iter()
                .flatten()
                .map(|&span| match span.len {
                    0 => vec![Mark::Lines(span)],
                    _ => vec![
                        Mark::Lines(span),
                        Mark::Edge(span.start),
                        Mark::Edge(span.end()),
                    ],
                })
                .collect();
            let mut found = self.follow(old, new, &path, &tracked)?.into_iter();
            let mut hunks = Vec::with_capacity(spans.len());
            for (old_span, new_span) in old_lines.into_iter().zip(spans) {
                let commits = match new_span {
                    Some(_) => found.next().unwrap_or_default(),
                    None => Vec::new(),
                };
                hunks.push(HunkAttribution {
                    old: old_span.map(Lines::from),
                    new: new_span.map(Lines::from),
                    commits: commits
                        .into_iter()
                        .map(|id| self.upstream_commit(id))
                        .collect::<Result<_>>()?,
                });
            }
            files.push(FileAttribution {
                path,
                hunks,
                note: None,
            });
        }
        Ok(Attribution::Commits { files })
    }

    fn upstream_commit(&self, id: Oid) -> Result<UpstreamCommit> {
        let info = self.commit_info(id)?;
        let message = info.message;
        let trailers = crate::patch::trailers(&message);
        let values = |key: &'static str| {
            trailers
                .iter()
                .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.clone())
        };
        Ok(UpstreamCommit {
            commit: id.to_string(),
            subject: message.lines().next().unwrap_or("").to_string(),
            change_id: values("Change-Id").next_back(),
            closes_bug: values("Closes-Bug").collect(),
            root: info.parents.is_empty(),
        })
    }

    /// For each of `spans` (lines of `path` at `new`), the non-merge
    /// commits of `old..new` that changed them, oldest first (see the
    /// module docs). Only commits whose version of the file differs from a
    /// parent's are diffed.
    pub fn line_history(
        &self,
        old: Oid,
        new: Oid,
        path: &str,
        spans: &[Span],
    ) -> Result<Vec<Vec<Oid>>> {
        let groups: Vec<Vec<Mark>> = spans.iter().map(|&s| vec![Mark::Lines(s)]).collect();
        self.follow(old, new, path, &groups)
    }

    /// For each group of marks on `path` at `new`, the non-merge commits
    /// of `old..new` that changed one of them, oldest first.
    fn follow(
        &self,
        old: Oid,
        new: Oid,
        path: &str,
        groups: &[Vec<Mark>],
    ) -> Result<Vec<Vec<Oid>>> {
        let mut found: Vec<Vec<(usize, Oid)>> = vec![Vec::new(); groups.len()];
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let mut walk = self.repo.revwalk().git(|| "walking history".into())?;
        walk.push(new).git(|| format!("walking from {new}"))?;
        walk.hide(old).git(|| format!("hiding {old}"))?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL)
            .git(|| "sorting history".into())?;
        // Commit -> (its path of the file, the (span index, span) to follow).
        let mut pending: HashMap<Oid, Tracked> = HashMap::new();
        pending.insert(
            new,
            Tracked {
                path: path.to_string(),
                marks: groups
                    .iter()
                    .enumerate()
                    .flat_map(|(index, marks)| marks.iter().map(move |&m| (index, m)))
                    .collect(),
            },
        );
        // The commits of old..new: marks passed to a parent outside it
        // (released with the old pin) are not followed, and the walk ends
        // when no mark is left.
        let commits: Vec<Oid> = walk
            .collect::<std::result::Result<_, _>>()
            .git(|| "walking history".into())?;
        let members: HashSet<Oid> = commits.iter().copied().collect();
        for (position, &id) in commits.iter().enumerate() {
            if pending.is_empty() {
                break;
            }
            let Some(tracked) = pending.remove(&id) else {
                continue;
            };
            let commit = self
                .repo
                .find_commit(id)
                .git(|| format!("reading commit {id}"))?;
            let tree = commit.tree_id();
            let Some(file) = self.file_at(tree, &tracked.path)? else {
                continue;
            };
            let mut parents = Vec::new();
            for parent in commit.parent_ids() {
                let parent_tree = self.tree_of(parent)?;
                parents.push(match self.file_at(parent_tree, &tracked.path)? {
                    Some(f) => (parent, tracked.path.clone(), Some(f.id)),
                    None => match self.rename_source(parent_tree, tree, &tracked.path)? {
                        Some((from, blob)) => (parent, from, Some(blob)),
                        None => (parent, tracked.path.clone(), None),
                    },
                });
            }
            // A parent with the very same file is where the lines come
            // from (a merge's side branch): nothing to diff.
            let same = parents.iter().position(|p| p.2 == Some(file.id));
            let mut sides = Vec::with_capacity(parents.len());
            for (index, (parent, parent_path, blob)) in parents.into_iter().enumerate() {
                let hunks = match same {
                    Some(same) if same == index => Some(Vec::new()),
                    Some(_) => continue,
                    None => self.line_hunks(blob, file.id)?,
                };
                sides.push((parent, parent_path, hunks));
            }
            let Some(hunks) = sides.first().map(|s| s.2.as_ref()) else {
                // A root commit inside the range added every line.
                for (index, mark) in &tracked.marks {
                    if matches!(mark, Mark::Lines(span) if span.len > 0) {
                        found[*index].push((position, id));
                    }
                }
                continue;
            };
            let untouched = |hunks: Option<&Vec<Hunk>>| {
                hunks.is_some_and(|h| tracked.marks.iter().all(|(_, m)| !m.touched_by(h)))
            };
            let targets: Vec<&(Oid, String, Option<Vec<Hunk>>)> = if sides.len() == 1 {
                let Some(hunks) = hunks else {
                    // Binary on one side: the commit changed it all.
                    for (index, _) in &tracked.marks {
                        found[*index].push((position, id));
                    }
                    continue;
                };
                for (index, mark) in &tracked.marks {
                    if mark.touched_by(hunks) {
                        found[*index].push((position, id));
                    }
                }
                sides.iter().collect()
            } else {
                match sides.iter().find(|s| untouched(s.2.as_ref())) {
                    Some(side) => vec![side],
                    None => sides.iter().filter(|s| s.2.is_some()).collect(),
                }
            };
            for (parent, parent_path, hunks) in targets {
                let Some(hunks) = hunks.as_ref().filter(|_| members.contains(parent)) else {
                    continue;
                };
                let entry = pending.entry(*parent).or_insert_with(|| Tracked {
                    path: parent_path.clone(),
                    marks: Vec::new(),
                });
                for (index, mark) in &tracked.marks {
                    if let Some(back) = mark.map_back(hunks) {
                        entry.marks.push((*index, back));
                    }
                }
                entry.marks.sort_unstable();
                entry.marks.dedup();
            }
        }
        Ok(found
            .into_iter()
            .map(|mut commits| {
                // The walk is children first: oldest first is the reverse.
                commits.sort_unstable_by_key(|c| std::cmp::Reverse(c.0));
                commits.dedup();
                commits.into_iter().map(|(_, id)| id).collect()
            })
            .collect())
    }

    /// The zero-context line diff from blob `old` (`None`: an empty file)
    /// to blob `new`, as git's diff finds it; `None` when either is binary.
    fn line_hunks(&self, old: Option<Oid>, new: Oid) -> Result<Option<Vec<Hunk>>> {
        let mut opts = git2::DiffOptions::new();
        opts.context_lines(0)
            .interhunk_lines(0)
            .indent_heuristic(true);
        let new_blob = self
            .repo
            .find_blob(new)
            .git(|| format!("reading blob {new}"))?;
        let old_blob = match old {
            Some(id) => Some(
                self.repo
                    .find_blob(id)
                    .git(|| format!("reading blob {id}"))?,
            ),
            None => None,
        };
        if new_blob.is_binary() || old_blob.as_ref().is_some_and(|b| b.is_binary()) {
            return Ok(None);
        }
        let patch = match &old_blob {
            Some(old_blob) => {
                git2::Patch::from_blobs(old_blob, None, &new_blob, None, Some(&mut opts))
            }
            None => git2::Patch::from_buffers(&[], None, new_blob.content(), None, Some(&mut opts)),
        }
        .git(|| "diffing file versions".into())?;
        let start = |line: u32, len: u32| match len {
            0 => line as usize,
            _ => line as usize - 1,
        };
        let mut hunks = Vec::with_capacity(patch.num_hunks());
        for index in 0..patch.num_hunks() {
            let (hunk, _) = patch.hunk(index).git(|| "reading diff hunks".into())?;
            hunks.push(Hunk {
                old: start(hunk.old_start(), hunk.old_lines()),
                old_len: hunk.old_lines() as usize,
                new: start(hunk.new_start(), hunk.new_lines()),
                new_len: hunk.new_lines() as usize,
            });
        }
        Ok(Some(hunks))
    }

    /// The path `path` (added between `parent_tree` and `tree`) had in the
    /// parent, and its blob there, when the change is a rename.
    fn rename_source(
        &self,
        parent_tree: Oid,
        tree: Oid,
        path: &str,
    ) -> Result<Option<(String, Oid)>> {
        let mut opts = git2::DiffOptions::new();
        let Some(diff) = self.diff_differing(parent_tree, tree, &mut opts)? else {
            return Ok(None);
        };
        let deltas: Vec<git2::DiffDelta<'_>> = diff.deltas().collect();
        let Some(dest) = deltas.iter().position(|d| {
            d.status() == git2::Delta::Added && d.new_file().path_bytes() == Some(path.as_bytes())
        }) else {
            return Ok(None);
        };
        let renames = self.renames_in(&deltas)?;
        Ok(renames.by_dest.get(&dest).map(|(source, _)| {
            let old = deltas[*source].old_file();
            (
                String::from_utf8_lossy(old.path_bytes().unwrap_or_default()).into_owned(),
                old.id(),
            )
        }))
    }
}

/// What a commit's version of the file is followed for: its path there,
/// and (group, mark) pairs.
struct Tracked {
    path: String,
    marks: Vec<(usize, Mark)>,
}

/// What is followed through history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mark {
    /// Lines, followed as `git log -L` follows them (a point when empty).
    Lines(Span),
    /// An edge of a conflict hunk's lines: a commit that removed lines
    /// exactly there changed the hunk (git log -L ignores such removals).
    Edge(usize),
}

impl Mark {
    fn touched_by(self, hunks: &[Hunk]) -> bool {
        match self {
            Mark::Lines(span) => touches(hunks, span),
            Mark::Edge(p) => removal_at(hunks, p).is_some(),
        }
    }

    /// Where the mark was before the diff `hunks`; lines removed at an
    /// edge are followed further back as lines.
    fn map_back(self, hunks: &[Hunk]) -> Option<Mark> {
        match self {
            Mark::Lines(span) => map_back(hunks, span).map(Mark::Lines),
            Mark::Edge(p) => Some(match removal_at(hunks, p) {
                Some(h) => Mark::Lines(Span {
                    start: h.old,
                    len: h.old_len,
                }),
                None => Mark::Edge(locate(hunks, p).unwrap_or_else(|h| h.old)),
            }),
        }
    }
}

/// The hunk that only removed lines, at point `p` of the new file.
fn removal_at(hunks: &[Hunk], p: usize) -> Option<&Hunk> {
    hunks
        .iter()
        .find(|h| h.new_len == 0 && h.old_len > 0 && h.new == p)
}

/// The old index of new line (or point) `x`: shifted by the hunks before
/// it, or the hunk it is in.
fn locate(hunks: &[Hunk], x: usize) -> std::result::Result<usize, Hunk> {
    let mut shift: isize = 0;
    for h in hunks {
        if h.new_len == 0 {
            // Removed lines sit before new line `h.new`.
            if h.new > x {
                break;
            }
            shift += h.old_len as isize;
        } else if h.new + h.new_len <= x {
            shift += h.old_len as isize - h.new_len as isize;
        } else if h.new <= x {
            return Err(*h);
        } else {
            break;
        }
    }
    Ok((x as isize + shift) as usize)
}

fn blob(hex: &Option<String>) -> Option<Oid> {
    hex.as_deref().and_then(|h| Oid::from_str(h).ok())
}

/// Whether the diff `hunks` (old -> new) changed `span` of the new file.
fn touches(hunks: &[Hunk], span: Span) -> bool {
    hunks.iter().any(|h| {
        if span.len == 0 {
            // A point: lines removed or replaced at it, or lines added
            // around it.
            let p = span.start;
            (h.old_len > 0 && h.new <= p && p <= h.new + h.new_len)
                || (h.new < p && p < h.new + h.new_len)
        } else if h.new_len == 0 {
            // A deletion counts between two lines of the range, not at its
            // edges (git log -L does the same).
            span.start < h.new && h.new < span.end()
        } else {
            h.new < span.end() && span.start < h.new + h.new_len
        }
    })
}

/// Where `span` of the new file was in the old one, through the diff
/// `hunks` (old -> new). `None` when every line of a non-empty span was
/// added by the diff. A point at which lines were removed becomes those
/// lines.
fn map_back(hunks: &[Hunk], span: Span) -> Option<Span> {
    if span.len == 0 {
        let p = span.start;
        if let Some(h) = hunks
            .iter()
            .find(|h| h.old_len > 0 && h.new <= p && p <= h.new + h.new_len)
        {
            return Some(Span {
                start: h.old,
                len: h.old_len,
            });
        }
        return Some(Span {
            start: match locate(hunks, p) {
                Ok(x) => x,
                Err(h) => h.old,
            },
            len: 0,
        });
    }
    let start = match locate(hunks, span.start) {
        Ok(x) => x,
        Err(h) => h.old,
    };
    let end = match locate(hunks, span.end() - 1) {
        Ok(x) => x + 1,
        Err(h) => h.old + h.old_len,
    };
    (end > start).then(|| Span {
        start,
        len: end - start,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(old: usize, old_len: usize, new: usize, new_len: usize) -> Hunk {
        Hunk {
            old,
            old_len,
            new,
            new_len,
        }
    }

    fn s(start: usize, len: usize) -> Span {
        Span { start, len }
    }

    #[test]
    fn ranges_map_back_through_insertions_deletions_and_replacements() {
        // old: a b c d e f ; new: a X c d f (b -> X, e deleted)
        let hunks = [h(1, 1, 1, 1), h(4, 1, 4, 0)];
        assert_eq!(map_back(&hunks, s(2, 2)), Some(s(2, 2))); // c d
        assert_eq!(map_back(&hunks, s(4, 1)), Some(s(5, 1))); // f
        assert_eq!(map_back(&hunks, s(0, 2)), Some(s(0, 2))); // a X <- a b
        // Lines only added map to nothing.
        let added = [h(2, 0, 2, 3)];
        assert_eq!(map_back(&added, s(2, 3)), None);
        assert_eq!(map_back(&added, s(1, 3)), Some(s(1, 1)));
        assert_eq!(map_back(&added, s(5, 1)), Some(s(2, 1)));
        // A point where lines were removed becomes those lines.
        assert_eq!(map_back(&hunks, s(4, 0)), Some(s(4, 1)));
        // Elsewhere a point moves with the lines.
        assert_eq!(map_back(&added, s(6, 0)), Some(s(3, 0)));
    }

    #[test]
    fn an_edge_is_changed_only_by_a_removal_exactly_there() {
        let removal = [h(3, 2, 3, 0)];
        assert!(Mark::Edge(3).touched_by(&removal));
        assert!(!Mark::Edge(4).touched_by(&removal));
        assert_eq!(Mark::Edge(3).map_back(&removal), Some(Mark::Lines(s(3, 2))));
        assert_eq!(Mark::Edge(4).map_back(&removal), Some(Mark::Edge(6)));
        let replacement = [h(3, 1, 3, 1)];
        assert!(!Mark::Edge(3).touched_by(&replacement));
        assert!(!Mark::Edge(4).touched_by(&replacement));
    }

    #[test]
    fn deletions_touch_a_range_inside_it_and_a_point_at_it() {
        let deletion = [h(3, 1, 3, 0)];
        assert!(touches(&deletion, s(2, 2)));
        assert!(!touches(&deletion, s(3, 2)), "before its first line");
        assert!(!touches(&deletion, s(1, 2)), "after its last line");
        assert!(touches(&deletion, s(3, 0)));
        assert!(!touches(&deletion, s(4, 0)));
        let replacement = [h(3, 2, 3, 1)];
        assert!(touches(&replacement, s(3, 1)));
        assert!(touches(&replacement, s(0, 4)));
        assert!(!touches(&replacement, s(4, 3)));
    }
}
