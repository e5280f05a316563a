//! `GIT binary patch` data, read and applied the way `git apply` does:
//! base85 lines (base85.c), zlib-deflated payloads (apply.c
//! `parse_binary_hunk`, `inflate_it`) and git's delta format
//! (patch-delta.c). Pure: bytes in, bytes out.

use std::io::Read;

use serde::{Deserialize, Serialize};

/// What a binary file patch carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryPatch {
    /// The data that turns the old file into the new one; `None` for a
    /// `Binary files a/x and b/x differ` line, which carries no data.
    pub forward: Option<BinaryData>,
    /// The optional second section, which turns the new file back into the
    /// old one (used by `git apply -R`).
    pub reverse: Option<BinaryData>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinaryMethod {
    /// The whole new content.
    Literal,
    /// A git delta against the old content.
    Delta,
}

/// One `literal N` or `delta N` section, inflated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryData {
    pub method: BinaryMethod,
    /// The inflated bytes: the content (literal) or the delta (delta); its
    /// length is the `N` of the section header.
    pub data: Vec<u8>,
}

/// Why binary data could not be read or applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BinaryError {
    #[error("corrupt binary patch: {0}")]
    Corrupt(&'static str),
    #[error("the delta expects a {expected}-byte preimage but the file has {found} bytes")]
    DeltaBase { expected: usize, found: usize },
}

/// The base85 alphabet of base85.c.
const ALPHABET: &[u8; 85] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

fn digit(b: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == b).map(|p| p as u32)
}

/// Decodes one data line (without its '\n'): a length character (`A`-`Z`
/// for 1-26 bytes, `a`-`z` for 27-52) and groups of five base85 digits.
fn decode_line(line: &[u8]) -> Result<Vec<u8>, BinaryError> {
    // apply.c: at least "A00000", and a length byte plus groups of five.
    if line.len() < 6 || (line.len() - 1) % 5 != 0 {
        return Err(BinaryError::Corrupt("a data line has a bad length"));
    }
    let len = match line[0] {
        b @ b'A'..=b'Z' => usize::from(b - b'A') + 1,
        b @ b'a'..=b'z' => usize::from(b - b'a') + 27,
        _ => return Err(BinaryError::Corrupt("a data line has a bad length byte")),
    };
    let max = (line.len() - 1) / 5 * 4;
    if max < len || len + 4 <= max {
        return Err(BinaryError::Corrupt(
            "a data line's length byte does not match its data",
        ));
    }
    let mut out = Vec::with_capacity(max);
    for group in line[1..].chunks(5) {
        let mut acc: u64 = 0;
        for &b in group {
            let d = digit(b).ok_or(BinaryError::Corrupt("invalid base85 character"))?;
            acc = acc * 85 + u64::from(d);
        }
        let acc = u32::try_from(acc).map_err(|_| BinaryError::Corrupt("invalid base85 group"))?;
        out.extend_from_slice(&acc.to_be_bytes());
    }
    out.truncate(len);
    Ok(out)
}

/// Reads the data lines of one section (up to, not including, the blank
/// line that ends it) and inflates them; the result must be `size` bytes.
pub(crate) fn decode_section<'a>(
    method: BinaryMethod,
    size: usize,
    lines: impl IntoIterator<Item = &'a [u8]>,
) -> Result<BinaryData, BinaryError> {
    let mut deflated = Vec::new();
    for line in lines {
        deflated.extend(decode_line(line)?);
    }
    let mut data = Vec::with_capacity(size.min(1 << 20));
    let mut decoder = flate2::read::ZlibDecoder::new(deflated.as_slice());
    // One byte more than promised, to notice data that is too long.
    let limit = u64::try_from(size).unwrap_or(u64::MAX).saturating_add(1);
    (&mut decoder)
        .take(limit)
        .read_to_end(&mut data)
        .map_err(|_| BinaryError::Corrupt("the data does not inflate"))?;
    if data.len() != size {
        return Err(BinaryError::Corrupt(
            "the inflated data does not have the size its header says",
        ));
    }
    Ok(BinaryData { method, data })
}

/// Applies one section to `old`: a literal replaces it, a delta is applied
/// to it.
pub fn apply_binary(old: &[u8], section: &BinaryData) -> Result<Vec<u8>, BinaryError> {
    match section.method {
        BinaryMethod::Literal => Ok(section.data.clone()),
        BinaryMethod::Delta => apply_delta(old, &section.data),
    }
}

/// patch-delta.c `get_delta_hdr_size`: a little-endian base-128 number.
fn delta_size(delta: &[u8], at: &mut usize) -> Result<usize, BinaryError> {
    let mut size: u64 = 0;
    let mut shift = 0;
    loop {
        let b = *delta
            .get(*at)
            .ok_or(BinaryError::Corrupt("truncated delta header"))?;
        *at += 1;
        if shift > 56 {
            return Err(BinaryError::Corrupt("delta header size is too large"));
        }
        size |= u64::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            break;
        }
    }
    usize::try_from(size).map_err(|_| BinaryError::Corrupt("delta header size is too large"))
}

/// patch-delta.c `patch_delta`: checks the source size, then copies
/// ranges of `src` and inserts literal bytes until the delta ends; the
/// result must have exactly the size the delta announces.
fn apply_delta(src: &[u8], delta: &[u8]) -> Result<Vec<u8>, BinaryError> {
    const BAD: BinaryError = BinaryError::Corrupt("the delta does not fit its preimage");
    let mut at = 0;
    let src_size = delta_size(delta, &mut at)?;
    if src_size != src.len() {
        return Err(BinaryError::DeltaBase {
            expected: src_size,
            found: src.len(),
        });
    }
    let dst_size = delta_size(delta, &mut at)?;
    let mut out = Vec::with_capacity(dst_size.min(1 << 20));
    while at < delta.len() {
        let cmd = delta[at];
        at += 1;
        if cmd & 0x80 != 0 {
            let mut param = |bits: [(u8, u32); 4]| -> Result<usize, BinaryError> {
                let mut value = 0usize;
                for (bit, shift) in bits {
                    if cmd & bit != 0 {
                        let b = *delta.get(at).ok_or(BAD)?;
                        at += 1;
                        value |= usize::from(b) << shift;
                    }
                }
                Ok(value)
            };
            let offset = param([(0x01, 0), (0x02, 8), (0x04, 16), (0x08, 24)])?;
            let mut size = param([(0x10, 0), (0x20, 8), (0x40, 16), (0, 0)])?;
            if size == 0 {
                size = 0x10000;
            }
            let end = offset.checked_add(size).ok_or(BAD)?;
            if end > src.len() || out.len() + size > dst_size {
                return Err(BAD);
            }
            out.extend_from_slice(&src[offset..end]);
        } else if cmd != 0 {
            let size = usize::from(cmd);
            let bytes = delta.get(at..at + size).ok_or(BAD)?;
            if out.len() + size > dst_size {
                return Err(BAD);
            }
            out.extend_from_slice(bytes);
            at += size;
        } else {
            return Err(BinaryError::Corrupt("unexpected delta opcode 0"));
        }
    }
    if out.len() != dst_size {
        return Err(BAD);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes from xorshift64, reproducible.
    fn noise(seed: u64, len: usize) -> Vec<u8> {
        let mut x = seed | 1;
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect()
    }

    /// `git diff --binary` of modified (so git picks deltas), added and
    /// deleted binary files: applying each forward section to the old bytes
    /// gives what `git apply` gives, and each reverse section gives back the
    /// old bytes (`git apply -R`).
    #[test]
    fn git_binary_diffs_apply_both_ways() {
        use crate::patch::test_git;
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path();
        test_git::init(repo);
        let mut olds: Vec<(String, Vec<u8>)> = Vec::new();
        let mut news: Vec<(String, Vec<u8>)> = Vec::new();
        for seed in 1..=6u64 {
            let len = 500 + 4000 * seed as usize;
            let old = noise(seed, len);
            let mut new = old.clone();
            // A few scattered edits, an insertion and a cut.
            for k in 0..seed as usize {
                let at = (k * 997 + 13) % new.len();
                new[at] ^= 0x5a;
            }
            new.splice(len / 3..len / 3, noise(seed + 100, 70));
            new.truncate(new.len() - 50);
            olds.push((format!("m{seed}.bin"), old));
            news.push((format!("m{seed}.bin"), new));
        }
        olds.push(("gone.bin".into(), noise(42, 3000)));
        news.push(("born.bin".into(), noise(43, 2500)));
        news.push(("tiny.bin".into(), vec![0, 1, 2]));
        for (name, bytes) in &olds {
            std::fs::write(repo.join(name), bytes).unwrap();
        }
        test_git::ok(repo, &["add", "-A"], &[]);
        test_git::ok(repo, &["commit", "-qm", "old"], &[]);
        std::fs::remove_file(repo.join("gone.bin")).unwrap();
        for (name, bytes) in &news {
            std::fs::write(repo.join(name), bytes).unwrap();
        }
        test_git::ok(repo, &["add", "-A"], &[]);
        let diff = test_git::ok(repo, &["diff", "--cached", "--binary", "--no-renames"], &[]);
        let files = crate::patch::parse_diff(&diff).unwrap();
        assert_eq!(files.len(), 9, "{}", String::from_utf8_lossy(&diff));
        // What git apply makes of the same diff on the old tree.
        test_git::ok(repo, &["reset", "-q", "--hard", "HEAD"], &[]);
        let patch_file = repo.join(".git/p.diff");
        std::fs::write(&patch_file, &diff).unwrap();
        test_git::ok(repo, &["apply", ".git/p.diff"], &[]);
        let mut deltas = 0;
        for file in &files {
            let binary = file.binary.as_ref().expect("a binary patch");
            let forward = binary.forward.as_ref().unwrap();
            let reverse = binary.reverse.as_ref().unwrap();
            deltas += usize::from(forward.method == BinaryMethod::Delta);
            let old = file
                .old_path
                .as_ref()
                .map(|p| olds.iter().find(|(n, _)| n == p).unwrap().1.clone())
                .unwrap_or_default();
            let new = apply_binary(&old, forward).unwrap();
            match &file.new_path {
                Some(path) => {
                    assert_eq!(new, std::fs::read(repo.join(path)).unwrap(), "{path}");
                }
                None => assert!(new.is_empty()),
            }
            assert_eq!(apply_binary(&new, reverse).unwrap(), old);
        }
        assert!(deltas >= 4, "only {deltas} delta sections");
        assert!(!repo.join("gone.bin").exists());
    }

    /// Garbage deltas and data lines are errors, never panics.
    #[test]
    fn garbage_is_refused_without_panic() {
        for seed in 1..300u64 {
            let bytes = noise(seed, (seed % 40) as usize);
            let _ = apply_delta(&noise(seed + 1, (seed % 7) as usize), &bytes);
            let mut with_sizes = vec![(seed % 7) as u8, (seed % 50) as u8];
            with_sizes.extend(&bytes);
            let _ = apply_delta(&noise(seed + 1, (seed % 7) as usize), &with_sizes);
            let line: Vec<u8> = bytes
                .iter()
                .map(|b| ALPHABET[usize::from(*b) % 85])
                .collect();
            let _ = decode_section(BinaryMethod::Literal, seed as usize, [line.as_slice()]);
        }
    }

    #[test]
    fn base85_lines_decode() {
        // "hello" deflated is not needed here: a known base85 group.
        assert_eq!(decode_line(b"A00000").unwrap(), vec![0]);
        assert_eq!(
            decode_line(b"D|NsC0").unwrap(),
            vec![0xff, 0xff, 0xff, 0xff]
        );
        assert!(decode_line(b"A0000").is_err());
        assert!(
            decode_line(b"E000000000").is_err(),
            "5 bytes in 8 is too many"
        );
        assert!(decode_line(b"A\"0000").is_err());
        assert!(decode_line(b"D~~~~~").is_err(), "overflowing group");
    }

    #[test]
    fn delta_copy_insert_and_errors() {
        // src 5 bytes, dst 8: copy offset 1 size 3, insert "xyz", copy offset 0 size 2.
        let delta = [5, 8, 0x91, 1, 3, 3, b'x', b'y', b'z', 0x90, 2];
        assert_eq!(apply_delta(b"abcde", &delta).unwrap(), b"bcdxyzab");
        assert_eq!(
            apply_delta(b"abcd", &delta).unwrap_err(),
            BinaryError::DeltaBase {
                expected: 5,
                found: 4
            }
        );
        assert!(apply_delta(b"abcde", &[5, 8, 0x91, 1, 3]).is_err(), "short");
        assert!(apply_delta(b"abcde", &[5, 1, 0]).is_err(), "opcode 0");
        assert!(
            apply_delta(b"abcde", &[5, 1, 0x91, 4, 3]).is_err(),
            "copy past end"
        );
        assert!(
            apply_delta(b"abcde", &[5, 2, 5, b'a']).is_err(),
            "insert past end"
        );
        assert!(apply_delta(b"", &[]).is_err());
        assert!(apply_delta(b"", &[0x80; 20]).is_err());
    }
}
