//! git's rename detection, as `git diff -M` / `git format-patch -M` does it
//! (`diffcore-rename.c`, with the similarity of `diffcore-delta.c`), so that
//! `export` writes a rename where git writes one, with the same
//! `similarity index`. libgit2 has rename detection too, but its similarity
//! measure is another one: its percentages differ from git's, and near the
//! threshold it pairs other files.
//!
//! The steps, as git takes them: exact renames (same blob), then files
//! whose base name is unique on both sides and that are at least 75 %
//! similar, then every remaining pair scored, best first, kept at 50 % or
//! more. Copies (`-C`) are not detected; symlinks and submodules are renamed
//! only when they are identical.

use std::collections::{BTreeMap, HashMap};

use super::{MODE_EXEC, MODE_FILE, Oid};
use crate::error::Result;

/// A whole match (git's `MAX_SCORE`).
pub const MAX_SCORE: u64 = 60_000;
/// `-M`'s default threshold, 50 % (git's `DEFAULT_RENAME_SCORE`).
pub const DEFAULT_SCORE: u64 = MAX_SCORE / 2;
/// Candidate sources kept per destination (git's `NUM_CANDIDATE_PER_DST`).
const CANDIDATES_PER_DST: usize = 4;
/// git's default `diff.renameLimit`: beyond limit² pairs, no inexact search.
const RENAME_LIMIT: u64 = 1000;

/// One side of a deleted or added file.
#[derive(Debug, Clone)]
pub struct RenameSide {
    pub path: String,
    pub id: Oid,
    pub mode: u32,
}

/// `sources[src]` was renamed to `dests[dst]`; `score` out of `MAX_SCORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rename {
    pub src: usize,
    pub dst: usize,
    pub score: u64,
}

impl Rename {
    /// The `similarity index` git prints, in percent (rounded down).
    pub fn percent(&self) -> u64 {
        self.score * 100 / MAX_SCORE
    }
}

/// The renames among deleted files `sources` and added files `dests`, both
/// in git's path order, as git pairs them at `min_score` (out of
/// `MAX_SCORE`). `read` gives a blob's bytes; each blob is read at most once.
pub fn find_renames(
    sources: &[RenameSide],
    dests: &[RenameSide],
    min_score: u64,
    mut read: impl FnMut(Oid) -> Result<Vec<u8>>,
) -> Result<Vec<Rename>> {
    let mut found = Vec::new();
    let mut src_used = vec![false; sources.len()];
    let mut dst_done = vec![false; dests.len()];

    // 1. Exact renames: the first unused identical source, one with the
    // same base name preferred.
    for (d, dst) in dests.iter().enumerate() {
        let mut best: Option<(usize, u8)> = None;
        for (s, src) in sources.iter().enumerate() {
            if src_used[s] || src.id != dst.id {
                continue;
            }
            if (!is_regular(src.mode) || !is_regular(dst.mode)) && src.mode != dst.mode {
                continue;
            }
            let score = 1 + u8::from(basename_same(&src.path, &dst.path));
            if best.is_none_or(|(_, b)| score > b) {
                best = Some((s, score));
                if score == 2 {
                    break;
                }
            }
        }
        if let Some((s, _)) = best {
            src_used[s] = true;
            dst_done[d] = true;
            found.push(Rename {
                src: s,
                dst: d,
                score: MAX_SCORE,
            });
        }
    }

    let mut counts: HashMap<Oid, Option<Counts>> = HashMap::new();
    let mut similarity = |src: &RenameSide, dst: &RenameSide| -> Result<u64> {
        if !is_regular(src.mode) || !is_regular(dst.mode) {
            return Ok(0);
        }
        for id in [src.id, dst.id] {
            if let std::collections::hash_map::Entry::Vacant(slot) = counts.entry(id) {
                slot.insert(Some(Counts::of(&read(id)?)));
            }
        }
        let (Some(Some(a)), Some(Some(b))) = (counts.get(&src.id), counts.get(&dst.id)) else {
            return Ok(0);
        };
        Ok(estimate_similarity(a, b, min_score))
    };

    // 2. Base names unique among the remaining sources and among the
    // remaining destinations pair up when at least halfway from the
    // threshold to a whole match.
    let min_basename_score = min_score + (MAX_SCORE - min_score) / 2;
    let unique = |names: Vec<(usize, &str)>| -> HashMap<String, Option<usize>> {
        let mut map: HashMap<String, Option<usize>> = HashMap::new();
        for (i, name) in names {
            map.entry(basename(name).to_string())
                .and_modify(|slot| *slot = None)
                .or_insert(Some(i));
        }
        map
    };
    let src_names = unique(
        (0..sources.len())
            .filter(|&s| !src_used[s])
            .map(|s| (s, sources[s].path.as_str()))
            .collect(),
    );
    let dst_names = unique(
        (0..dests.len())
            .filter(|&d| !dst_done[d])
            .map(|d| (d, dests[d].path.as_str()))
            .collect(),
    );
    for s in 0..sources.len() {
        if src_used[s] {
            continue;
        }
        let base = basename(&sources[s].path);
        let (Some(Some(_)), Some(Some(d))) = (src_names.get(base), dst_names.get(base)) else {
            continue;
        };
        let d = *d;
        if dst_done[d] {
            continue;
        }
        let score = similarity(&sources[s], &dests[d])?;
        if score < min_basename_score {
            continue;
        }
        src_used[s] = true;
        dst_done[d] = true;
        found.push(Rename {
            src: s,
            dst: d,
            score,
        });
    }

    // 3. Every remaining pair, the best four sources per destination, then
    // the best pairs first (a stable sort, as git's).
    let sources_left: Vec<usize> = (0..sources.len()).filter(|&s| !src_used[s]).collect();
    let dests_left: Vec<usize> = (0..dests.len()).filter(|&d| !dst_done[d]).collect();
    let pairs = sources_left.len() as u64 * dests_left.len() as u64;
    if pairs == 0 || pairs > RENAME_LIMIT * RENAME_LIMIT {
        found.sort_by_key(|r| r.dst);
        return Ok(found);
    }
    let mut matrix: Vec<Candidate> = Vec::with_capacity(dests_left.len() * CANDIDATES_PER_DST);
    for &d in &dests_left {
        let mut slots = [Candidate::UNUSED; CANDIDATES_PER_DST];
        for &s in &sources_left {
            let candidate = Candidate {
                dst: Some(d),
                src: s,
                score: similarity(&sources[s], &dests[d])?,
                name_score: u8::from(basename_same(&sources[s].path, &dests[d].path)),
            };
            let mut worst = 0;
            for i in 1..CANDIDATES_PER_DST {
                if slots[i].order(&slots[worst]).is_gt() {
                    worst = i;
                }
            }
            if slots[worst].order(&candidate).is_gt() {
                slots[worst] = candidate;
            }
        }
        matrix.extend(slots);
    }
    matrix.sort_by(Candidate::order);
    for candidate in matrix {
        let Some(d) = candidate.dst else { break };
        if candidate.score < min_score {
            break;
        }
        if dst_done[d] || src_used[candidate.src] {
            continue;
        }
        src_used[candidate.src] = true;
        dst_done[d] = true;
        found.push(Rename {
            src: candidate.src,
            dst: d,
            score: candidate.score,
        });
    }
    found.sort_by_key(|r| r.dst);
    Ok(found)
}

/// One cell of git's score matrix.
#[derive(Clone, Copy)]
struct Candidate {
    dst: Option<usize>,
    src: usize,
    score: u64,
    name_score: u8,
}

impl Candidate {
    const UNUSED: Candidate = Candidate {
        dst: None,
        src: 0,
        score: 0,
        name_score: 0,
    };

    /// git's `score_compare`: better first, unused cells last.
    fn order(&self, other: &Candidate) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self.dst, other.dst) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            _ => other
                .score
                .cmp(&self.score)
                .then(other.name_score.cmp(&self.name_score)),
        }
    }
}

fn is_regular(mode: u32) -> bool {
    matches!(mode, MODE_FILE | MODE_EXEC)
}

fn basename(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, name)| name)
}

/// git's `basename_same`: the paths end in the same file name.
fn basename_same(a: &str, b: &str) -> bool {
    basename(a) == basename(b)
}

/// A file's content as git's rename detection sees it: its size, and the
/// bytes in each chunk (a line, or 64 bytes of a longer one) per chunk hash.
#[derive(Debug)]
pub struct Counts {
    size: u64,
    spans: BTreeMap<u32, u64>,
}

impl Counts {
    /// git's `hash_chars`: in a text file (no NUL in its first 8000 bytes)
    /// a CR before LF is not counted.
    pub fn of(bytes: &[u8]) -> Counts {
        const HASHBASE: u32 = 107_927;
        let text = !bytes[..bytes.len().min(8000)].contains(&0);
        let mut spans = BTreeMap::new();
        let (mut accum1, mut accum2, mut n) = (0u32, 0u32, 0u64);
        for (i, &c) in bytes.iter().enumerate() {
            if text && c == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                continue;
            }
            let old1 = accum1;
            accum1 = (accum1 << 7) ^ (accum2 >> 25);
            accum2 = (accum2 << 7) ^ (old1 >> 25);
            accum1 = accum1.wrapping_add(u32::from(c));
            n += 1;
            if n < 64 && c != b'\n' {
                continue;
            }
            let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
            *spans.entry(hash).or_insert(0) += n;
            (accum1, accum2, n) = (0, 0, 0);
        }
        if n > 0 {
            let hash = accum1.wrapping_add(accum2.wrapping_mul(0x61)) % HASHBASE;
            *spans.entry(hash).or_insert(0) += n;
        }
        Counts {
            size: bytes.len() as u64,
            spans,
        }
    }
}

/// git's `estimate_similarity`: how much of the larger file's bytes come
/// from the source, out of `MAX_SCORE`; 0 when the sizes differ too much
/// for the pair to reach `min_score`.
pub fn estimate_similarity(src: &Counts, dst: &Counts, min_score: u64) -> u64 {
    let max_size = src.size.max(dst.size);
    let delta = max_size - src.size.min(dst.size);
    if max_size * (MAX_SCORE - min_score) < delta * MAX_SCORE || dst.size == 0 {
        return 0;
    }
    let copied: u64 = src
        .spans
        .iter()
        .map(|(hash, n)| (*n).min(dst.spans.get(hash).copied().unwrap_or(0)))
        .sum();
    copied * MAX_SCORE / max_size
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(path: &str, n: u8) -> RenameSide {
        RenameSide {
            path: path.into(),
            id: Oid::from_bytes(&[n; 20]).unwrap(),
            mode: MODE_FILE,
        }
    }

    #[test]
    fn identical_blob_prefers_the_source_with_the_same_base_name() {
        let sources = [side("a/x.txt", 1), side("b/y.txt", 1)];
        let dests = [side("c/y.txt", 1)];
        let found = find_renames(&sources, &dests, DEFAULT_SCORE, |_| Ok(Vec::new())).unwrap();
        assert_eq!(
            found,
            [Rename {
                src: 1,
                dst: 0,
                score: MAX_SCORE
            }]
        );
    }

    #[test]
    fn crlf_counts_like_lf_in_text() {
        let lf = Counts::of(b"one\ntwo\nthree\n");
        let crlf = Counts::of(b"one\r\ntwo\r\nthree\r\n");
        assert_eq!(lf.spans, crlf.spans);
        // The sizes still differ, so the score is below a whole match.
        assert_eq!(
            estimate_similarity(&lf, &crlf, DEFAULT_SCORE),
            14 * MAX_SCORE / 17
        );
    }
}
