//! Writing a pack and its index directly, from objects whose ids are
//! already known: the objects an `apply` or `rebase` made in memory.
//!
//! libgit2's pack writer runs its indexer over the pack: it inflates every
//! object again and hashes it again to learn ids we already have (a third
//! of a 67-patch apply on nova went there). Here the pack (version 2) is
//! written once, each object stored whole, and its index (version 2) is
//! made from the ids, offsets and CRC-32s noted on the way, as git's
//! `pack-write.c` `write_idx_file` lays it out.

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;

use sha1::Digest as _;

use super::Oid;
use crate::error::{Error, Result};

/// zlib level of the objects in the pack: 0, stored. A queue's new blobs
/// are whole copies of big files (67 nova patches: 184 blobs, 35 MB), and
/// deflating them cost more than everything else the apply did; the pack
/// is local and short-lived (`core.compression` 0 in git's terms).
const LEVEL: u32 = 0;

/// An object's type as a pack entry header names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Commit = 1,
    Tree = 2,
    Blob = 3,
    Tag = 4,
}

/// A pack being built in memory.
pub(super) struct PackBuilder {
    pack: Vec<u8>,
    /// (id, offset of its entry, CRC-32 of its entry), in pack order.
    entries: Vec<(Oid, u64, u32)>,
}

impl PackBuilder {
    pub(super) fn new() -> PackBuilder {
        PackBuilder {
            pack: b"PACK\0\0\0\x02\0\0\0\0".to_vec(),
            entries: Vec::new(),
        }
    }

    /// How many objects it holds.
    pub(super) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Add the object `id`, of `kind`, whose content is `data`. The caller
    /// vouches for the id (it is the one git would compute).
    pub(super) fn add(&mut self, id: Oid, kind: Kind, data: &[u8]) -> Result<()> {
        let offset = self.pack.len();
        let mut size = data.len();
        let mut byte = ((kind as u8) << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            self.pack.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        self.pack.push(byte);
        let mut encoder =
            flate2::write::ZlibEncoder::new(&mut self.pack, flate2::Compression::new(LEVEL));
        encoder
            .write_all(data)
            .and_then(|_| encoder.finish().map(|_| ()))
            .map_err(|source| Error::Io {
                path: "<pack>".into(),
                source,
            })?;
        let mut crc = flate2::Crc::new();
        crc.update(&self.pack[offset..]);
        let crc = crc.sum();
        self.entries.push((id, offset as u64, crc));
        Ok(())
    }

    /// Write `pack-<checksum>.pack` and its `.idx` into `dir` (an
    /// `objects/pack` directory): each through a temporary file renamed
    /// into place, the pack first, so a reader never sees an index without
    /// its pack. Read-only, as git leaves them.
    pub(super) fn write(mut self, dir: &Path) -> Result<()> {
        let count = self.entries.len() as u32;
        self.pack[8..12].copy_from_slice(&count.to_be_bytes());
        let checksum = sha1::Sha1::digest(&self.pack);
        self.pack.extend_from_slice(&checksum);
        let index = index(&mut self.entries, &checksum);
        let name = format!("pack-{}", crate::hex(&checksum));
        write_read_only(dir, &format!("{name}.pack"), &self.pack)?;
        write_read_only(dir, &format!("{name}.idx"), &index)
    }
}

/// A pack index, version 2, of `entries` (sorted here by id) for the pack
/// whose trailing checksum is `pack_checksum`.
fn index(entries: &mut [(Oid, u64, u32)], pack_checksum: &[u8]) -> Vec<u8> {
    entries.sort_unstable_by_key(|e| e.0);
    let mut idx = Vec::with_capacity(8 + 256 * 4 + entries.len() * 28 + 40);
    idx.extend_from_slice(b"\xfftOc\0\0\0\x02");
    let mut below = 0usize;
    for first in 0..=255u8 {
        while below < entries.len() && entries[below].0.as_bytes()[0] <= first {
            below += 1;
        }
        idx.extend_from_slice(&(below as u32).to_be_bytes());
    }
    for (id, _, _) in entries.iter() {
        idx.extend_from_slice(id.as_bytes());
    }
    for (_, _, crc) in entries.iter() {
        idx.extend_from_slice(&crc.to_be_bytes());
    }
    // Offsets of 2 GiB and over go to a table of 8-byte offsets.
    let mut large = Vec::new();
    for (_, offset, _) in entries.iter() {
        let small = if *offset < 0x8000_0000 {
            *offset as u32
        } else {
            large.push(*offset);
            0x8000_0000 | (large.len() as u32 - 1)
        };
        idx.extend_from_slice(&small.to_be_bytes());
    }
    for offset in large {
        idx.extend_from_slice(&offset.to_be_bytes());
    }
    idx.extend_from_slice(pack_checksum);
    let own = sha1::Sha1::digest(&idx);
    idx.extend_from_slice(&own);
    idx
}

fn write_read_only(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let target = dir.join(name);
    let io = |source| Error::Io {
        path: target.clone(),
        source,
    };
    let mut file = tempfile::Builder::new()
        .prefix("tmp_pack_")
        .tempfile_in(dir)
        .map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o444))
        .map_err(io)?;
    file.persist(&target).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `git index-pack` of our pack makes the very index we wrote, and
    /// `git verify-pack` and `git cat-file` read it back.
    #[test]
    fn git_reads_the_pack_and_agrees_on_its_index() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let blob = b"hello\n".repeat(1000);
        let blob_id = Oid::hash_object(git2::ObjectType::Blob, &blob).unwrap();
        let tree = [b"100644 a\0".as_slice(), blob_id.as_bytes()].concat();
        let tree_id = Oid::hash_object(git2::ObjectType::Tree, &tree).unwrap();
        let pack_dir = dir.path().join("objects/pack");
        let mut builder = PackBuilder::new();
        builder.add(blob_id, Kind::Blob, &blob).unwrap();
        builder.add(tree_id, Kind::Tree, &tree).unwrap();
        assert_eq!(builder.len(), 2);
        builder.write(&pack_dir).unwrap();
        let mut packs: Vec<_> = std::fs::read_dir(&pack_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        packs.sort();
        assert_eq!(packs.len(), 2, "{packs:?}");
        let (idx, pack) = (&packs[0], &packs[1]);
        let git = |args: &[&str]| {
            let out = std::process::Command::new("git")
                .args(args)
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        git(&["verify-pack", idx.to_str().unwrap()]);
        let again = dir.path().join("again.idx");
        git(&[
            "index-pack",
            "-o",
            again.to_str().unwrap(),
            pack.to_str().unwrap(),
        ]);
        assert_eq!(std::fs::read(&again).unwrap(), std::fs::read(idx).unwrap());
        assert_eq!(git(&["cat-file", "blob", &blob_id.to_string()]), blob);
        assert_eq!(
            git(&["ls-tree", &tree_id.to_string()]),
            format!("100644 blob {blob_id}\ta\n").into_bytes()
        );
        drop(repo);
    }
}
