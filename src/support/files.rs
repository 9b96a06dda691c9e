//! Output files: checked before training, written whole or not at all, and never
//! at the expense of what the path already is.
//!
//! Every output is first written aside ([`stage`]); only when all of a run's
//! outputs are staged are they put in place ([`Staged::commit`]). What "in place"
//! means depends on what the path is when it is staged:
//!
//! - a regular file, or no file yet: an unnamed file in the same directory
//!   (Linux's `O_TMPFILE`), given a name only at the commit, where it is linked
//!   in as `.sine-rnn-*.tmp` and at once renamed over the target (atomic). Until
//!   then it has no name, so a run that dies, however, leaves nothing behind (a
//!   SIGKILL between the link and the rename aside); a replaced file keeps its
//!   mode, a new one gets `0o666` less the umask. On a file system without
//!   unnamed files (FAT, some network file systems), or without /proc, a named
//!   `.sine-rnn-*.tmp` is used instead, removed when the run fails but not when
//!   it is stopped at once or killed;
//! - a symlink (or a chain of them): the same for the file it finally points to,
//!   so the link stays a link;
//! - something that exists and is not a regular file (a FIFO, a character device,
//!   a socket, `/dev/stdout`), or `-`: written into, never renamed over, since
//!   replacing `/dev/null` with a regular file would break the whole system. The
//!   content waits in memory (`memfd_create`), so no temporary directory is
//!   needed.
//!
//! A signal that ends the process at once first takes [`commit_lock`], so it
//! never falls between the link and the rename of a commit.

use std::ffi::CString;
use std::fs::{File, Metadata};
use std::io::{Read, Seek, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use anyhow::{Context, Result};
use tempfile::NamedTempFile;

/// The name that means standard output (for `--json`).
pub const STDOUT: &str = "-";

/// An output written aside, waiting to be put in place.
pub struct Staged {
    path: PathBuf,
    how: How,
}

enum How {
    /// An unnamed file in `real`'s directory, linked in and renamed onto `real`.
    Link { file: File, real: PathBuf },
    /// Where unnamed files cannot be made: a named one, renamed onto `real`.
    Rename { tmp: NamedTempFile, real: PathBuf },
    /// Copied into the existing non-regular file at commit, from memory.
    Into { content: File, fd: Option<i32> },
}

impl How {
    /// The file the content is written into before the commit.
    fn file_mut(&mut self) -> &mut File {
        match self {
            How::Link { file, .. } => file,
            How::Rename { tmp, .. } => tmp.as_file_mut(),
            How::Into { content, .. } => content,
        }
    }
}

impl Staged {
    /// The file the content is written into before the commit, for an output
    /// written bit by bit as the run goes (`--trace`).
    pub fn file(&self) -> &File {
        match &self.how {
            How::Link { file, .. } => file,
            How::Rename { tmp, .. } => tmp.as_file(),
            How::Into { content, .. } => content,
        }
    }

    /// Where the output goes, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the new content in place: one rename, atomic on POSIX, or a write
    /// into what the path already is. Returns the path as given.
    pub fn commit(self) -> Result<PathBuf> {
        let Staged { path, how } = self;
        let moved = |real: &Path| format!("cannot move the new file into place at {}", real.display());
        match how {
            How::Link { file, real } => link_over(&file, &real).with_context(|| moved(&real))?,
            How::Rename { tmp, real } => {
                tmp.persist(&real).map_err(|e| e.error).with_context(|| moved(&real))?;
            }
            How::Into { mut content, fd } => {
                content.rewind()?;
                let mut bytes = Vec::new();
                content.read_to_end(&mut bytes)?;
                write_into(&path, fd, &bytes).with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
        Ok(path)
    }

    /// Whether committing renames a file into place (rather than writing into one).
    pub fn renames(&self) -> bool {
        !matches!(self.how, How::Into { .. })
    }
}

/// Writes `bytes` aside for `path` (see the module's notes for where).
pub fn stage(path: &Path, bytes: &[u8]) -> Result<Staged> {
    stage_with(path, |file| file.write_all(bytes))
}

/// [`stage`] for any writer: `fill` writes the content.
pub fn stage_with(path: &Path, fill: impl FnOnce(&mut File) -> std::io::Result<()>) -> Result<Staged> {
    let written = || format!("cannot write {}", path.display());
    let target = resolve(path).with_context(written)?;
    let mut how = match &target {
        Target::Into(fd) => {
            How::Into { content: in_memory().context("cannot hold the output in memory")?, fd: *fd }
        }
        Target::Replace { real, .. } => {
            let dir = parent_dir(real);
            let creating = || format!("cannot create a file in {}", dir.display());
            match unnamed_file_in(dir).with_context(creating)? {
                Some(file) => How::Link { file, real: real.clone() },
                None => How::Rename { tmp: named_file_in(dir).with_context(creating)?, real: real.clone() },
            }
        }
    };
    let file = how.file_mut();
    fill(file).with_context(written)?;
    if let Target::Replace { mode, .. } = target {
        file.set_permissions(std::fs::Permissions::from_mode(mode))
            .and_then(|()| file.sync_all())
            .with_context(written)?;
    }
    Ok(Staged { path: path.to_path_buf(), how })
}

/// Commits every staged output: writes into FIFOs, devices and stdout first (they
/// are the ones that can fail or wait for a reader, and nothing is replaced yet
/// if they do), then the renames. Returns each path as given, in order done.
pub fn commit_all(staged: Vec<Staged>) -> Result<Vec<PathBuf>> {
    let (renames, intos): (Vec<Staged>, Vec<Staged>) = staged.into_iter().partition(Staged::renames);
    let mut done = Vec::new();
    for s in intos.into_iter().chain(renames) {
        done.push(s.commit()?);
    }
    Ok(done)
}

/// Writes one file: [`stage`], then [`Staged::commit`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    stage(path, bytes)?.commit().map(drop)
}

/// [`write_atomic`] for any writer; if `fill` fails, `path` is left as it was.
pub fn write_atomic_with(path: &Path, fill: impl FnOnce(&mut File) -> std::io::Result<()>) -> Result<()> {
    stage_with(path, fill)?.commit().map(drop)
}

/// Held while a staged file has a name but is not yet in place: a signal that
/// ends the process at once takes it first, and never lets it go.
pub fn commit_lock() -> MutexGuard<'static, ()> {
    static COMMITTING: Mutex<()> = Mutex::new(());
    COMMITTING.lock().unwrap_or_else(|e| e.into_inner())
}

/// An unnamed regular file in `dir`, or `None` where its file system has none
/// (or where /proc, through which the commit links it in, is not mounted).
fn unnamed_file_in(dir: &Path) -> std::io::Result<Option<File>> {
    if !Path::new("/proc/self/fd").is_dir() {
        return Ok(None);
    }
    let c = CString::new(dir.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
    // SAFETY: open reads the NUL-terminated path; the descriptor is then owned by the File.
    let fd = unsafe { libc::open(c.as_ptr(), libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC, 0o600) };
    if fd >= 0 {
        return Ok(Some(unsafe { File::from_raw_fd(fd) }));
    }
    let e = std::io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EOPNOTSUPP | libc::EISDIR | libc::EINVAL) => Ok(None),
        _ => Err(e),
    }
}

/// A named temporary file in `dir`, for file systems without unnamed ones.
fn named_file_in(dir: &Path) -> std::io::Result<NamedTempFile> {
    tempfile::Builder::new().prefix(".sine-rnn-").suffix(".tmp").tempfile_in(dir)
}

/// Gives the unnamed `file` a name beside `real`, then renames it onto `real`.
fn link_over(file: &File, real: &Path) -> std::io::Result<()> {
    let from = CString::new(format!("/proc/self/fd/{}", file.as_raw_fd())).map_err(std::io::Error::other)?;
    let _guard = commit_lock();
    let mut attempt = 0;
    let tmp = loop {
        let tmp = parent_dir(real).join(format!(".sine-rnn-{}-{attempt}.tmp", std::process::id()));
        let to = CString::new(tmp.as_os_str().as_bytes()).map_err(std::io::Error::other)?;
        let flags = libc::AT_SYMLINK_FOLLOW;
        // SAFETY: linkat reads two NUL-terminated paths.
        let linked =
            unsafe { libc::linkat(libc::AT_FDCWD, from.as_ptr(), libc::AT_FDCWD, to.as_ptr(), flags) };
        match std::io::Error::last_os_error() {
            _ if linked == 0 => break tmp,
            e if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            e => return Err(e),
        }
    };
    std::fs::rename(&tmp, real).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// A file in memory (no file system, no TMPDIR), for outputs written into what
/// is already there.
fn in_memory() -> std::io::Result<File> {
    // SAFETY: memfd_create reads the NUL-terminated name; the descriptor is then owned by the File.
    let fd = unsafe { libc::memfd_create(c"sine-rnn-output".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// What staging a path amounts to.
enum Target {
    /// Write into what is there: standard output or error (the fd), or a
    /// FIFO, device or socket by its path.
    Into(Option<i32>),
    /// Rename a new regular file onto `real`, with this mode.
    Replace { real: PathBuf, mode: u32 },
}

fn resolve(path: &Path) -> std::io::Result<Target> {
    if path.as_os_str() == STDOUT {
        return Ok(Target::Into(Some(1)));
    }
    // Following every link: our own stdout or stderr (`/dev/stdout` is a link to
    // a pipe, a terminal or a file that the shell opened for us) is written through
    // its descriptor, whatever it is.
    if let Ok(meta) = std::fs::metadata(path) {
        for fd in [1, 2] {
            if fd_identity(fd) == Some((meta.dev(), meta.ino())) {
                return Ok(Target::Into(Some(fd)));
            }
        }
        // A directory goes the rename's way, which fails and leaves it be.
        if !meta.is_file() && !meta.is_dir() {
            return Ok(Target::Into(None));
        }
    }
    let real = follow_links(path)?;
    let mode = match std::fs::metadata(&real) {
        Ok(meta) => meta.permissions().mode() & 0o7777,
        Err(_) => 0o666 & !umask(),
    };
    Ok(Target::Replace { real, mode })
}

/// Where a chain of symlinks ends (the path itself when it is not one); the end
/// need not exist yet.
pub fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match std::fs::symlink_metadata(&p) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let to = std::fs::read_link(&p)?;
                p = if to.is_absolute() { to } else { parent_dir(&p).join(to) };
            }
            _ => return Ok(p),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Writes `bytes` into an existing non-regular file, or to the descriptor.
fn write_into(path: &Path, fd: Option<i32>, bytes: &[u8]) -> std::io::Result<()> {
    match fd {
        Some(1) => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        Some(_) => std::io::stderr().lock().write_all(bytes),
        None => {
            let meta = std::fs::metadata(path)?;
            if meta.file_type().is_socket() {
                return std::os::unix::net::UnixStream::connect(path)?.write_all(bytes);
            }
            // No O_TRUNC, no O_CREAT: a FIFO or device takes the bytes as they are.
            std::fs::OpenOptions::new().write(true).open(path)?.write_all(bytes)
        }
    }
}

/// The file an open descriptor of ours refers to, as (device, inode).
fn fd_identity(fd: i32) -> Option<(u64, u64)> {
    // SAFETY: fstat only fills the struct it is given.
    unsafe {
        let mut st: libc::stat = std::mem::zeroed();
        (libc::fstat(fd, &mut st) == 0).then_some((st.st_dev, st.st_ino))
    }
}

/// The process's umask, read without changing it (Linux shows it in
/// /proc/self/status); `0o022` where that cannot be read.
pub fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// The directory a file path lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// An output path is accepted when it can be written without harm: `-`, an
/// existing FIFO, device or socket we may write to, or a file (through any
/// symlinks) in an existing directory where we can create files, with a name that
/// file system takes, and not read-only. Checked before training, so a typo does
/// not cost a whole run.
pub fn check_output_path(path: &Path) -> Result<(), String> {
    let bytes = path.as_os_str().as_bytes();
    if bytes.is_empty() {
        return Err("the path is empty".into());
    }
    if path.as_os_str() == STDOUT {
        return Ok(());
    }
    if bytes.ends_with(b"/") {
        return Err(format!("{} ends in '/', so it names a directory; give a file name", path.display()));
    }
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.is_dir() {
            return Err(format!("{} is a directory; give a file name", path.display()));
        }
        if !meta.is_file() {
            return check_special(path, &meta);
        }
    }
    let real = follow_links(path).map_err(|e| format!("cannot follow {}: {e}", path.display()))?;
    let dir = parent_dir(&real);
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(format!("{} is not a directory", dir.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("the directory {} does not exist", dir.display()))
        }
        Err(e) => return Err(format!("{} is not a usable directory ({e})", dir.display())),
    }
    let name = real.file_name().map(|n| n.as_bytes().len()).unwrap_or(0);
    let max = name_max(dir);
    if name > max {
        return Err(format!(
            "the file name is {name} bytes long, longer than the {max} its file system takes"
        ));
    }
    if let Ok(meta) = std::fs::metadata(&real) {
        if meta.permissions().readonly() {
            return Err(format!(
                "{} is read-only; make it writable (chmod u+w) or choose another name",
                real.display()
            ));
        }
    }
    // The only reliable writability test is to try (permissions, read-only mounts),
    // as the output itself will be made: unnamed where the file system allows it.
    let tried = match unnamed_file_in(dir) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => named_file_in(dir).map(drop),
        Err(e) => Err(e),
    };
    tried.map_err(|e| format!("cannot write in {} ({})", dir.display(), e.kind()))
}

/// An existing FIFO, device or socket: written into, if we may.
fn check_special(path: &Path, meta: &Metadata) -> Result<(), String> {
    let kind = meta.file_type();
    if kind.is_block_device() {
        return Err(format!("{} is a block device (a disk); refusing to write over it", path.display()));
    }
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| "the path holds a NUL byte")?;
    // SAFETY: access only reads the NUL-terminated path.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0 {
        return Err(format!("{} cannot be written to ({})", path.display(), std::io::Error::last_os_error()));
    }
    Ok(())
}

/// The longest file name the file system of `dir` takes (255 where it will not say).
fn name_max(dir: &Path) -> usize {
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else { return 255 };
    // SAFETY: pathconf only reads the NUL-terminated path.
    let n = unsafe { libc::pathconf(c.as_ptr(), libc::_PC_NAME_MAX) };
    if n > 0 {
        n as usize
    } else {
        255
    }
}

/// Checks every output of a run, given as (flag, path): each one by
/// [`check_output_path`], and no file named by two of them. The error is one
/// line that starts with the flag.
pub fn check_outputs(outputs: &[(&str, &Path)]) -> Result<(), String> {
    let mut seen: Vec<(&str, Identity)> = Vec::new();
    for (flag, path) in outputs {
        check_output_path(path).map_err(|e| format!("{flag}: {e}"))?;
        let id = identity(path);
        if let Some((other, _)) = seen.iter().find(|(_, known)| *known == id) {
            return Err(format!(
                "{other} and {flag} name the same file ({}); give each output its own",
                path.display()
            ));
        }
        seen.push((flag, id));
    }
    Ok(())
}

/// Whether two paths name the same file, through any symlinks and spellings.
pub fn same_file(a: &Path, b: &Path) -> bool {
    identity(a) == identity(b)
}

/// What a path names, to tell when two paths name the same file: (device, inode)
/// for what exists, the real directory and name for a file still to be made.
#[derive(PartialEq, Eq, Debug)]
enum Identity {
    Node(u64, u64),
    New(PathBuf, std::ffi::OsString),
}

fn identity(path: &Path) -> Identity {
    if path.as_os_str() == STDOUT {
        if let Some((dev, ino)) = fd_identity(1) {
            return Identity::Node(dev, ino);
        }
    }
    if let Ok(meta) = std::fs::metadata(path) {
        return Identity::Node(meta.dev(), meta.ino());
    }
    let real = follow_links(path).unwrap_or_else(|_| path.to_path_buf());
    let dir = parent_dir(&real);
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    Identity::New(dir, real.file_name().map(|n| n.to_os_string()).unwrap_or_default())
}
