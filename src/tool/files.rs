//! Output files, checked before training and put in place together at the end,
//! each whole or not at all. A regular file (or a symlink chain to one, or nothing
//! yet) is written into an unnamed `O_TMPFILE` file in its directory, named and
//! renamed over it only at the commit, so a run that dies leaves nothing behind;
//! where there are no unnamed files (FAT, NFS, no /proc), a `.sine-rnn-*.tmp`
//! stands in. A replaced file keeps its mode. `-`, a FIFO, a device or our own
//! stdout/stderr is written into at the commit, from memory, never replaced.

use std::ffi::CString;
use std::fs::{File, Permissions};
use std::io::{ErrorKind, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use anyhow::{Context, Result};
use tempfile::TempPath;

/// The name that means standard output (for `--json` and `--trace`).
pub const STDOUT: &str = "-";

/// An output written aside; dropped uncommitted, it leaves the path as it was.
pub struct Staged {
    path: PathBuf,
    how: How,
}

enum How {
    /// A file in `real`'s directory, unnamed unless `name` is set.
    Aside { file: File, name: Option<TempPath>, real: PathBuf },
    /// Bytes for what is already there; `fd` when it is our stdout or stderr.
    Existing { bytes: Vec<u8>, fd: Option<i32> },
}

impl Write for Staged {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.how {
            How::Aside { file, .. } => file.write(buf),
            How::Existing { bytes, .. } => bytes.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Staged {
    /// Puts the content in place (one rename, or a write into what the path is)
    /// and returns the path as given.
    pub fn commit(self) -> Result<PathBuf> {
        let Staged { path, how } = self;
        let shown = path.display();
        match how {
            How::Aside { file, name, real } => {
                file.sync_all().with_context(|| format!("cannot write {shown}"))?;
                match name {
                    None => link_over(&file, &real),
                    Some(name) => name.persist(&real).map_err(|e| e.error),
                }
                .with_context(|| format!("cannot move the new file into place at {}", real.display()))?
            }
            How::Existing { bytes, fd } => {
                write_into(&path, fd, &bytes).with_context(|| format!("cannot write {shown}"))?
            }
        }
        Ok(path)
    }
}

/// An empty output for `path`.
pub fn create(path: &Path) -> Result<Staged> {
    let how = how_for(path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Staged { path: path.to_path_buf(), how })
}

/// An output for `path` holding `bytes`.
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    let mut staged = create(path)?;
    staged.write_all(bytes).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(staged)
}

/// Commits every output, each with its label: the writes into FIFOs, devices and
/// stdout first (they can fail or wait for a reader while nothing is replaced
/// yet), then the renames. Returns the labels and paths, in the order done.
pub fn commit_all<L>(staged: Vec<(L, Staged)>) -> Result<Vec<(L, PathBuf)>> {
    let (into, renames): (Vec<_>, Vec<_>) =
        staged.into_iter().partition(|(_, s)| matches!(s.how, How::Existing { .. }));
    into.into_iter().chain(renames).map(|(label, s)| Ok((label, s.commit()?))).collect()
}

/// Held from a commit's link to its rename; a signal that ends the process at
/// once takes it first and never lets it go.
pub fn commit_lock() -> MutexGuard<'static, ()> {
    static COMMITTING: Mutex<()> = Mutex::new(());
    COMMITTING.lock().unwrap_or_else(|e| e.into_inner())
}

fn how_for(path: &Path) -> std::io::Result<How> {
    let existing = |fd| Ok(How::Existing { bytes: Vec::new(), fd });
    if path.as_os_str() == STDOUT {
        return existing(Some(1));
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if let Some(fd) = [1, 2].into_iter().find(|&fd| fd_identity(fd) == Some((meta.dev(), meta.ino()))) {
            return existing(Some(fd));
        }
        // A directory goes the rename's way, which fails and leaves it be.
        if !meta.is_file() && !meta.is_dir() {
            return existing(None);
        }
    }
    let real = follow_links(path)?;
    let (file, name) = file_aside(parent_dir(&real))?;
    if let Ok(meta) = std::fs::metadata(&real) {
        file.set_permissions(Permissions::from_mode(meta.mode() & 0o7777))?;
    }
    Ok(How::Aside { file, name, real })
}

/// A new file in `dir`, mode `0o666` less the umask: unnamed where the file system
/// and /proc (through which it is linked in) allow, else `.sine-rnn-*.tmp`.
fn file_aside(dir: &Path) -> std::io::Result<(File, Option<TempPath>)> {
    if Path::new("/proc/self/fd").is_dir() {
        let c = CString::new(dir.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
        // SAFETY: open reads the NUL-terminated path; the File then owns the descriptor.
        match unsafe { libc::open(c.as_ptr(), libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC, 0o666) } {
            fd if fd >= 0 => return Ok((unsafe { File::from_raw_fd(fd) }, None)),
            _ => match std::io::Error::last_os_error() {
                e if matches!(e.raw_os_error(), Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL)) => {}
                e => return Err(e),
            },
        }
    }
    let mut named = tempfile::Builder::new();
    named.prefix(".sine-rnn-").suffix(".tmp").permissions(Permissions::from_mode(0o666));
    let (file, name) = named.tempfile_in(dir)?.into_parts();
    Ok((file, Some(name)))
}

/// Names the unnamed `file` beside `real` (a fresh `.sine-rnn-*.tmp`), then
/// renames it onto `real`.
fn link_over(file: &File, real: &Path) -> std::io::Result<()> {
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).map_err(std::io::Error::other)?;
    let _guard = commit_lock();
    let linked =
        tempfile::Builder::new().prefix(".sine-rnn-").suffix(".tmp").make_in(parent_dir(real), |tmp| {
            let to = CString::new(tmp.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
            let (cwd, follow) = (libc::AT_FDCWD, libc::AT_SYMLINK_FOLLOW);
            // SAFETY: linkat reads two NUL-terminated paths.
            match unsafe { libc::linkat(cwd, from.as_ptr(), cwd, to.as_ptr(), follow) } {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        })?;
    linked.into_temp_path().persist(real).map_err(|e| e.error)
}

/// Writes `bytes` to our stdout or stderr, or into an existing FIFO or device
/// (no O_TRUNC, no O_CREAT). A reader of stdout that went away had what it wanted.
fn write_into(path: &Path, fd: Option<i32>, bytes: &[u8]) -> std::io::Result<()> {
    let written = match fd {
        Some(1) => std::io::stdout().lock().write_all(bytes).and_then(|()| std::io::stdout().flush()),
        Some(_) => std::io::stderr().lock().write_all(bytes),
        None => std::fs::OpenOptions::new().write(true).open(path)?.write_all(bytes),
    };
    written.or_else(|e| if e.kind() == ErrorKind::BrokenPipe && fd == Some(1) { Ok(()) } else { Err(e) })
}

/// The file an open descriptor of ours refers to, as (device, inode).
fn fd_identity(fd: i32) -> Option<(u64, u64)> {
    // SAFETY: fstat only fills the struct it is given.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        (libc::fstat(fd, &mut st) == 0).then_some((st.st_dev, st.st_ino))
    }
}

/// Where a chain of symlinks ends (the end need not exist).
pub fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            // An absolute target replaces the whole path.
            Ok(meta) if meta.file_type().is_symlink() => p = parent_dir(&p).join(std::fs::read_link(&p)?),
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// The directory a file path lives in (`.` for a bare name).
pub fn parent_dir(path: &Path) -> &Path {
    path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
}

/// Whether an output can be written without harm: `-`, an existing FIFO or
/// character device we may write to, or a file (through any symlinks) in an
/// existing directory where we can make files, not read-only, under a name its
/// file system takes (tried, for one not there yet). A name ending in
/// `/` or `/.` is refused: `Path` would drop it and name the file before it.
pub fn check_output_path(path: &Path) -> Result<(), String> {
    let (shown, bytes) = (path.display(), path.as_os_str().as_bytes());
    if bytes.is_empty() {
        return Err("the path is empty".into());
    }
    if path.as_os_str() == STDOUT {
        return Ok(());
    }
    if [&b"/"[..], b"/.", b"/.."].iter().any(|end| bytes.ends_with(end)) || bytes == b"." || bytes == b".." {
        return Err(format!("{shown} ends in '/' or '/.', so it names a directory; give a file name"));
    }
    match std::fs::metadata(path).map(|m| m.file_type()) {
        Ok(t) if t.is_dir() => return Err(format!("{shown} is a directory; give a file name")),
        Ok(t) if t.is_block_device() => {
            return Err(format!("{shown} is a block device (a disk); refusing to write over it"))
        }
        Ok(t) if t.is_socket() => return Err(format!("{shown} is a socket, which takes no file")),
        Ok(t) if !t.is_file() => {
            let c = CString::new(bytes).map_err(|_| "the path holds a NUL byte")?;
            // SAFETY: access only reads the NUL-terminated path.
            if unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0 {
                return Err(format!("{shown} cannot be written to ({})", std::io::Error::last_os_error()));
            }
            return Ok(());
        }
        _ => {}
    }
    let real = follow_links(path).map_err(|e| format!("cannot follow {shown}: {e}"))?;
    let dir = parent_dir(&real);
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("{} is not a directory", dir.display())),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Err(format!("the directory {} does not exist", dir.display()))
        }
        Err(e) => return Err(format!("{} is not a usable directory ({e})", dir.display())),
    }
    if std::fs::metadata(&real).is_ok_and(|meta| meta.permissions().readonly()) {
        let shown = real.display();
        return Err(format!("{shown} is read-only; make it writable (chmod u+w) or choose another name"));
    }
    // The only sure test of a directory (permissions, read-only mounts) is to try.
    file_aside(dir).map(drop).map_err(|e| format!("cannot write in {} ({})", dir.display(), e.kind()))?;
    // And of a name (too long, characters the file system refuses): one not there
    // yet is made, then removed, so the commit will not be refused.
    match std::fs::symlink_metadata(&real) {
        Ok(_) => Ok(()),
        Err(_) => try_name(&real).map_err(|e| format!("cannot create {} ({e})", real.display())),
    }
}

/// Creates `path` as a new empty file and removes it, with no signal's exit between.
fn try_name(path: &Path) -> std::io::Result<()> {
    let _guard = commit_lock();
    match std::fs::OpenOptions::new().write(true).create_new(true).open(path) {
        Ok(file) => drop(file),
        Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    }
    std::fs::remove_file(path)
}

/// Checks every output, given as (flag, path): each by [`check_output_path`], and
/// no file named twice. The error starts with the flag.
pub fn check_outputs(outputs: &[(&str, &Path)]) -> Result<(), String> {
    for (k, (flag, path)) in outputs.iter().enumerate() {
        check_output_path(path).map_err(|e| format!("{flag}: {e}"))?;
        if let Some((other, _)) = outputs[..k].iter().find(|(_, earlier)| same_file(earlier, path)) {
            let shown = path.display();
            return Err(format!("{other} and {flag} name the same file ({shown}); give each output its own"));
        }
    }
    Ok(())
}

/// Whether two paths name the same file, through symlinks and spellings: the same
/// (device, inode) for what exists, the same real directory and name otherwise.
pub fn same_file(a: &Path, b: &Path) -> bool {
    fn identity(path: &Path) -> (Option<(u64, u64)>, PathBuf) {
        let node = match path.as_os_str() == STDOUT {
            true => fd_identity(1),
            false => std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino())),
        };
        let real = follow_links(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = parent_dir(&real).canonicalize().unwrap_or_else(|_| parent_dir(&real).to_path_buf());
        (node, dir.join(real.file_name().unwrap_or_default()))
    }
    match (identity(a), identity(b)) {
        ((Some(x), _), (Some(y), _)) => x == y,
        ((None, x), (None, y)) => x == y,
        _ => false,
    }
}
