//! Release sdists from a PEP 691 package index (PyPI by default): find the
//! sdist of a version, download it once into the cache, verify the sha256
//! the index publishes, and unpack it safely into snapshot files.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::fsutil;
use crate::progress::Progress;
use crate::repo::{MODE_EXEC, MODE_FILE, MODE_LINK, SnapshotFile};

#[derive(Debug, Deserialize)]
struct IndexPage {
    files: Vec<IndexFile>,
}

#[derive(Debug, Deserialize)]
struct IndexFile {
    filename: String,
    url: String,
    #[serde(default)]
    hashes: HashMap<String, String>,
    #[serde(rename = "upload-time")]
    upload_time: Option<String>,
}

/// A release sdist as the index lists it.
#[derive(Debug, Clone)]
pub struct Sdist {
    pub filename: String,
    pub url: String,
    pub sha256: String,
    pub upload_time: Option<String>,
}

/// PEP 503 name normalisation.
pub fn normalize(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

pub(crate) fn agent() -> Result<ureq::Agent> {
    let tls = native_tls::TlsConnector::new()
        .map_err(|e| Error::Upstream(format!("cannot set up TLS: {e}")))?;
    Ok(ureq::AgentBuilder::new()
        .tls_connector(std::sync::Arc::new(tls))
        .timeout_connect(std::time::Duration::from_secs(30))
        .timeout_read(std::time::Duration::from_secs(120))
        .build())
}

fn file_url_path(url: &str) -> Option<PathBuf> {
    url.strip_prefix("file://").map(PathBuf::from)
}

/// Find the sdist of `name` `version` on `index`.
pub fn find_sdist(index: &str, name: &str, version: &str) -> Result<Sdist> {
    let project = normalize(name);
    let page_url = format!("{}/{project}/", index.trim_end_matches('/'));
    let body = match file_url_path(&page_url) {
        Some(dir) => {
            let file = dir.join("index.json");
            String::from_utf8_lossy(&fsutil::read(&file)?).into_owned()
        }
        None => agent()?
            .get(&page_url)
            .set("Accept", "application/vnd.pypi.simple.v1+json")
            .call()
            .map_err(|e| Error::Upstream(format!("reading the package index {page_url}: {e}")))?
            .into_string()
            .map_err(|e| Error::Upstream(format!("reading the package index {page_url}: {e}")))?,
    };
    let page: IndexPage = serde_json::from_str(&body).map_err(|e| {
        Error::Upstream(format!("{page_url} is not a PEP 691 JSON index page: {e}"))
    })?;
    let mut versions = Vec::new();
    for file in page.files {
        let Some(stem) = file.filename.strip_suffix(".tar.gz") else {
            continue;
        };
        let Some((dist, ver)) = stem.rsplit_once('-') else {
            continue;
        };
        if normalize(dist) != project {
            continue;
        }
        if ver == version {
            let sha256 = file.hashes.get("sha256").cloned().ok_or_else(|| {
                Error::Upstream(format!(
                    "{page_url} publishes no sha256 for {}; refusing to import it unverified",
                    file.filename
                ))
            })?;
            return Ok(Sdist {
                url: join_url(&page_url, &file.url),
                filename: file.filename,
                sha256,
                upload_time: file.upload_time,
            });
        }
        versions.push(ver.to_string());
    }
    let recent: Vec<&str> = versions.iter().rev().take(8).map(String::as_str).collect();
    Err(Error::Upstream(format!(
        "{name} {version} has no sdist on {index} (recent releases: {}); fix `pin` in verda-patch.toml",
        if recent.is_empty() {
            "none".into()
        } else {
            recent.join(", ")
        }
    )))
}

fn join_url(base: &str, url: &str) -> String {
    if url.contains("://") {
        return url.to_string();
    }
    if let Some(rest) = url.strip_prefix('/') {
        // Absolute path on the same host.
        if let Some(scheme_end) = base.find("://") {
            let host_end = base[scheme_end + 3..]
                .find('/')
                .map(|i| scheme_end + 3 + i)
                .unwrap_or(base.len());
            return format!("{}/{rest}", &base[..host_end]);
        }
    }
    format!("{}/{url}", base.trim_end_matches('/'))
}

fn sha256_hex(bytes: &[u8]) -> String {
    crate::hex(&Sha256::digest(bytes))
}

/// The sdist's bytes, from the cache or downloaded into it; always verified.
pub fn download(sdist: &Sdist, cache_dir: &Path, progress: &dyn Progress) -> Result<Vec<u8>> {
    let cached = cache_dir.join(&sdist.filename);
    if let Ok(bytes) = std::fs::read(&cached) {
        if sha256_hex(&bytes) == sdist.sha256 {
            return Ok(bytes);
        }
    }
    let bytes = match file_url_path(&sdist.url) {
        Some(path) => fsutil::read(&path)?,
        None => {
            let response = agent()?
                .get(&sdist.url)
                .call()
                .map_err(|e| Error::Upstream(format!("downloading {}: {e}", sdist.url)))?;
            let total = response
                .header("Content-Length")
                .and_then(|v| v.parse::<u64>().ok());
            progress.begin(&format!("downloading {}", sdist.filename), total);
            let mut reader = response.into_reader();
            let mut bytes = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                let n = reader
                    .read(&mut chunk)
                    .map_err(|e| Error::Upstream(format!("downloading {}: {e}", sdist.url)))?;
                if n == 0 {
                    break;
                }
                bytes.extend_from_slice(&chunk[..n]);
                progress.set(bytes.len() as u64);
            }
            progress.end();
            bytes
        }
    };
    let actual = sha256_hex(&bytes);
    if actual != sdist.sha256 {
        return Err(Error::Upstream(format!(
            "{}: sha256 is {actual} but the index publishes {}; the download is corrupt or tampered with, nothing was imported",
            sdist.filename, sdist.sha256
        )));
    }
    fsutil::write_atomic(&cached, &bytes)?;
    Ok(bytes)
}

/// Unpack a `.tar.gz` sdist into snapshot files, without its top directory.
/// Refuses absolute paths, `..`, `.git` components, links that leave the
/// tree, and special files: a hostile archive cannot reach outside.
pub fn unpack(bytes: &[u8], origin: &str) -> Result<Vec<SnapshotFile>> {
    let bad =
        |message: String| Error::Upstream(format!("{origin}: {message}; nothing was imported"));
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(bytes));
    let mut files: Vec<SnapshotFile> = Vec::new();
    let mut by_path: HashMap<String, usize> = HashMap::new();
    let mut top: Option<String> = None;
    let entries = archive
        .entries()
        .map_err(|e| bad(format!("not a tar.gz archive ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| bad(format!("corrupt archive ({e})")))?;
        let raw_path = entry
            .path()
            .map_err(|e| bad(format!("bad path ({e})")))?
            .into_owned();
        let shown = raw_path.display().to_string();
        let components =
            safe_components(&raw_path).ok_or_else(|| bad(format!("`{shown}` escapes the tree")))?;
        let Some((first, rest)) = components.split_first() else {
            continue;
        };
        match &top {
            None => top = Some(first.clone()),
            Some(t) if t != first => {
                return Err(bad(format!("`{shown}` is outside the top directory `{t}`")));
            }
            Some(_) => {}
        }
        if rest.is_empty() {
            continue;
        }
        let path = rest.join("/");
        let kind = entry.header().entry_type();
        let file = match kind {
            tar::EntryType::Directory => continue,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let mode = entry.header().mode().unwrap_or(0o644);
                let mut content = Vec::new();
                entry
                    .read_to_end(&mut content)
                    .map_err(|e| bad(format!("reading `{shown}` ({e})")))?;
                SnapshotFile {
                    path: path.clone(),
                    mode: if mode & 0o111 != 0 {
                        MODE_EXEC
                    } else {
                        MODE_FILE
                    },
                    content,
                }
            }
            tar::EntryType::Symlink => {
                let target = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .ok_or_else(|| bad(format!("symlink `{shown}` has no target")))?
                    .into_owned();
                if !link_stays_inside(rest, &target) {
                    return Err(bad(format!(
                        "symlink `{shown}` -> `{}` leaves the tree",
                        target.display()
                    )));
                }
                SnapshotFile {
                    path: path.clone(),
                    mode: MODE_LINK,
                    content: target.to_string_lossy().into_owned().into_bytes(),
                }
            }
            tar::EntryType::Link => {
                let target = entry
                    .link_name()
                    .ok()
                    .flatten()
                    .ok_or_else(|| bad(format!("hard link `{shown}` has no target")))?
                    .into_owned();
                let target_components = safe_components(&target)
                    .ok_or_else(|| bad(format!("hard link `{shown}` leaves the tree")))?;
                let target_path = target_components.get(1..).unwrap_or_default().join("/");
                let source = by_path.get(&target_path).ok_or_else(|| {
                    bad(format!(
                        "hard link `{shown}` points at `{}`, which is not in the archive before it",
                        target.display()
                    ))
                })?;
                SnapshotFile {
                    path: path.clone(),
                    ..files[*source].clone()
                }
            }
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            other => return Err(bad(format!("`{shown}` is a special file ({other:?})"))),
        };
        match by_path.get(&path) {
            Some(&i) => files[i] = file,
            None => {
                by_path.insert(path, files.len());
                files.push(file);
            }
        }
    }
    if files.is_empty() {
        return Err(bad("the archive holds no files".into()));
    }
    // A file and a directory of the same name cannot both be in a tree.
    for file in &files {
        let mut prefix = file.path.as_str();
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if by_path.contains_key(parent) {
                return Err(bad(format!("`{parent}` is both a file and a directory")));
            }
            prefix = parent;
        }
    }
    Ok(files)
}

/// The normal components of a relative path, or None if it is absolute or
/// climbs with `..` or names `.git`.
fn safe_components(path: &Path) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => {
                let part = part.to_str()?;
                if part.eq_ignore_ascii_case(".git") {
                    return None;
                }
                out.push(part.to_string());
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(out)
}

/// Whether a symlink at `link` (components under the top dir) pointing at
/// `target` resolves inside the tree.
fn link_stays_inside(link: &[String], target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth = link.len() as isize - 1;
    for component in target.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::ParentDir => depth -= 1,
            Component::CurDir => {}
            _ => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tarball(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        build(&mut builder);
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }

    fn add(
        builder: &mut tar::Builder<Vec<u8>>,
        path: &str,
        kind: tar::EntryType,
        link: Option<&str>,
        data: &[u8],
    ) {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        // Write the name bytes directly: the builder's own checks would
        // refuse the hostile paths these tests need.
        let name = &mut header.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        if let Some(link) = link {
            header.set_link_name(link).unwrap();
        }
        header.set_cksum();
        builder.append(&header, data).unwrap();
    }

    #[test]
    fn unpacks_under_the_top_directory() {
        let bytes = tarball(|b| {
            add(b, "pkg-1.0/setup.py", tar::EntryType::Regular, None, b"x");
            add(b, "pkg-1.0/pkg/a.py", tar::EntryType::Regular, None, b"y");
            add(
                b,
                "pkg-1.0/pkg/link.py",
                tar::EntryType::Symlink,
                Some("a.py"),
                b"",
            );
        });
        let files = unpack(&bytes, "pkg-1.0.tar.gz").unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["setup.py", "pkg/a.py", "pkg/link.py"]);
        assert_eq!(files[2].mode, MODE_LINK);
    }

    #[test]
    fn refuses_escapes() {
        for (path, kind, link) in [
            ("pkg-1.0/../evil", tar::EntryType::Regular, None),
            ("/etc/passwd", tar::EntryType::Regular, None),
            ("pkg-1.0/.git/config", tar::EntryType::Regular, None),
            ("pkg-1.0/l", tar::EntryType::Symlink, Some("../../etc")),
            ("pkg-1.0/l", tar::EntryType::Symlink, Some("/etc/passwd")),
            ("pkg-1.0/dev", tar::EntryType::Char, None),
        ] {
            let bytes = tarball(|b| add(b, path, kind, link, b""));
            let err = unpack(&bytes, "evil.tar.gz").unwrap_err().to_string();
            assert!(err.starts_with("evil.tar.gz: "), "{path}: {err}");
        }
    }

    #[test]
    fn normalizes_names() {
        assert_eq!(normalize("Oslo.Config"), "oslo-config");
        assert_eq!(normalize("a__b"), "a-b");
    }
}
