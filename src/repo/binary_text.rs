//! The `GIT binary patch` text of a diff as git writes it. libgit2 writes
//! the same sections (literal or delta, forward and reverse) but deflates
//! them at zlib's default level, where git uses its fastest, so the base85
//! lines differ from git's; here each section is inflated and deflated
//! again as git does, then written in git's lines (diff.c
//! `emit_binary_diff_body`).

use std::io::Write;

use crate::patch::{BinaryMethod, parse_diff};

/// The base85 alphabet of base85.c.
const ALPHABET: &[u8; 85] =
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~";

/// libgit2's `GIT binary patch` block (`text`) with git's zlib streams;
/// `None` when it does not read as one.
pub(super) fn as_git_writes_it(text: &[u8]) -> Option<Vec<u8>> {
    let diff = [b"diff --git a/f b/f\n".as_slice(), text].concat();
    let files = parse_diff(&diff).ok()?;
    let binary = files.first()?.binary.as_ref()?;
    let mut out = b"GIT binary patch\n".to_vec();
    for section in [binary.forward.as_ref()?]
        .into_iter()
        .chain(binary.reverse.as_ref())
    {
        let kind = match section.method {
            BinaryMethod::Literal => "literal",
            BinaryMethod::Delta => "delta",
        };
        out.extend(format!("{kind} {}\n", section.data.len()).bytes());
        out.extend(section_lines(&deflate(&section.data)?));
        out.push(b'\n');
    }
    Some(out)
}

/// zlib at git's level when `core.compression` is unset: `Z_BEST_SPEED`
/// (environment.c `zlib_compression_level`), as diff.c `deflate_it` uses.
/// It takes zlib itself (flate2's `zlib` feature): another deflate at the
/// same level compresses to other bytes.
fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

/// Lines of up to 52 bytes: a length character, then base85 groups.
fn section_lines(deflated: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(deflated.len() * 5 / 4 + deflated.len() / 52 * 2 + 8);
    for chunk in deflated.chunks(52) {
        let len = chunk.len() as u8;
        out.push(if len <= 26 {
            b'A' + len - 1
        } else {
            b'a' + len - 27
        });
        for group in chunk.chunks(4) {
            let mut bytes = [0u8; 4];
            bytes[..group.len()].copy_from_slice(group);
            let mut acc = u32::from_be_bytes(bytes);
            let mut digits = [0u8; 5];
            for digit in digits.iter_mut().rev() {
                *digit = ALPHABET[(acc % 85) as usize];
                acc /= 85;
            }
            out.extend_from_slice(&digits);
        }
        out.push(b'\n');
    }
    out
}

#[cfg(test)]
mod tests {
    /// The bytes git writes for `printf 'a\0b' > f; git add f` in
    /// `git diff --cached --binary`.
    #[test]
    fn a_literal_is_deflated_and_encoded_as_git_does() {
        let text = b"GIT binary patch\nliteral 3\nKcmYdfNCE%>hycU@\n\nliteral 0\nHcmV?d00001\n\n";
        let ours = super::as_git_writes_it(text).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(text)
        );
    }
}
