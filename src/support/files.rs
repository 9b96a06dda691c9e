//! Output files: checked before training, written whole or not at all.
//!
//! Every output is first written to a temporary file beside its target
//! ([`stage`]); only when all of a run's outputs are staged are they moved into
//! place ([`Staged::commit`]). A run that fails or is killed therefore leaves each
//! target either as it was or whole, never truncated, and a later output that
//! fails does not leave an earlier one already replaced.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

/// An output written to a temporary file, waiting to be moved into place.
pub struct Staged {
    tmp: NamedTempFile,
    path: PathBuf,
}

impl Staged {
    /// The temporary file, for an output written bit by bit as the run goes.
    pub fn file(&self) -> &std::fs::File {
        self.tmp.as_file()
    }

    /// Where the output goes once committed.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves the new content into place (one rename, atomic on POSIX).
    pub fn commit(self) -> Result<PathBuf> {
        let Staged { tmp, path } = self;
        tmp.persist(&path)
            .map_err(|e| e.error)
            .with_context(|| format!("cannot move the new file into place at {}", path.display()))?;
        Ok(path)
    }
}

/// Writes `bytes` to a temporary file beside `path`. Dropped uncommitted, the
/// temporary file is removed.
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    stage_with(path, |file| file.write_all(bytes))
}

/// [`stage`] for any writer: `fill` writes the content into the temporary file.
pub fn stage_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<Staged> {
    let dir = parent_dir(path);
    let mut tmp = tempfile::Builder::new()
        .prefix(".sine-rnn-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    fill(tmp.as_file_mut())
        .and_then(|()| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    // tempfile creates files readable by the owner only; a plot is an ordinary file.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    Ok(Staged { tmp, path: path.to_path_buf() })
}

/// Writes one file atomically: [`stage`], then [`Staged::commit`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes)?.commit().map(drop)
}

/// [`write_atomic`] for any writer; if `fill` fails, `path` is left as it was.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    stage_with(path, fill)?.commit().map(drop)
}

/// The directory a file path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// An output path is accepted when its directory exists and we can create a file
/// there, and it does not name a directory. Checked before training, so a typo
/// does not cost a whole run.
pub fn check_output_path(path: &Path) -> Result<(), String> {
    if path.as_os_str().is_empty() {
        return Err("the path is empty".into());
    }
    if path.is_dir() {
        return Err(format!("{} is a directory; give a file name", path.display()));
    }
    let dir = parent_dir(path);
    if !dir.is_dir() {
        return Err(format!("the directory {} does not exist", dir.display()));
    }
    // The only reliable writability test is to try (permissions, read-only mounts).
    tempfile::Builder::new()
        .prefix(".sine-rnn-probe-")
        .tempfile_in(dir)
        .map_err(|e| format!("cannot write in {} ({})", dir.display(), e.kind()))?;
    Ok(())
}
