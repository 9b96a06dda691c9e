//! "CPU, or CUDA if present", without making CPU-only machines pay for CUDA.
//!
//! The usual tch recipe links `libtorch_cuda.so` into every binary, so each run
//! maps the whole CUDA stack (about 400 MB more resident memory) even where there
//! is no GPU. We do not link it (see build.rs). Instead, when an NVIDIA driver is
//! present (`libcuda.so.1` loads), we `dlopen` libtorch_cuda before the first tch
//! call; its static initialisers register libtorch's CUDA hooks, and from then on
//! `tch::Cuda::is_available()` works as if it had been linked.

use anyhow::{bail, Result};
use clap::ValueEnum;
use tch::Device;

/// The `--device` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeviceChoice {
    // CUDA when a usable GPU is present, else the CPU.
    Auto,
    Cpu,
    Cuda,
}

/// Resolves `--device` to a tch device, loading CUDA support only when it can be used.
pub fn select(choice: DeviceChoice) -> Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        DeviceChoice::Auto => Ok(if cuda_available() { Device::Cuda(0) } else { Device::Cpu }),
        DeviceChoice::Cuda => {
            if cuda_available() {
                Ok(Device::Cuda(0))
            } else {
                bail!(
                    "--device cuda: no usable NVIDIA GPU found ({}); use --device cpu or --device auto",
                    cuda_status()
                )
            }
        }
    }
}

/// Loads CUDA support if a driver is present, then asks libtorch. Idempotent.
pub fn cuda_available() -> bool {
    load_cuda_support().is_ok() && tch::Cuda::is_available()
}

/// Why CUDA is (un)available, for messages.
pub fn cuda_status() -> String {
    match load_cuda_support() {
        Err(why) => why.clone(),
        Ok(()) if tch::Cuda::is_available() => format!(
            "{} CUDA device(s), cuDNN {}",
            tch::Cuda::device_count(),
            if tch::Cuda::cudnn_is_available() { "available" } else { "not available" }
        ),
        Ok(()) => "the NVIDIA driver is present but libtorch sees no CUDA device".into(),
    }
}

fn load_cuda_support() -> &'static std::result::Result<(), String> {
    static LOADED: std::sync::OnceLock<std::result::Result<(), String>> = std::sync::OnceLock::new();
    LOADED.get_or_init(|| {
        // SAFETY: loading a shared library runs its initialisers; the NVIDIA driver
        // and libtorch_cuda are libraries built to be loaded this way, and the
        // handles are kept for the life of the process (never unloaded).
        unsafe {
            let flags = dlopen_flags();
            let driver = libloading::os::unix::Library::open(Some("libcuda.so.1"), flags)
                .map_err(|_| "no NVIDIA driver (libcuda.so.1) on this machine".to_string())?;
            std::mem::forget(driver);
            let mut last_error = String::new();
            for candidate in torch_cuda_candidates() {
                match libloading::os::unix::Library::open(Some(&candidate), flags) {
                    Ok(lib) => {
                        std::mem::forget(lib);
                        return Ok(());
                    }
                    Err(e) => last_error = e.to_string(),
                }
            }
            Err(format!("the NVIDIA driver is present but libtorch_cuda.so did not load: {last_error}"))
        }
    })
}

/// RTLD_NOW | RTLD_GLOBAL: resolve everything up front, and let libtorch's own
/// symbol lookups see the CUDA library.
fn dlopen_flags() -> std::os::raw::c_int {
    libloading::os::unix::RTLD_NOW | libloading::os::unix::RTLD_GLOBAL
}

/// `libtorch_cuda.so` must come from the same libtorch as the `libtorch_cpu.so`
/// this process already runs on (two builds do not mix), so the first candidate is
/// the one beside it; then the one build.rs found; then the loader's search path.
fn torch_cuda_candidates() -> Vec<String> {
    let mut out = Vec::new();
    if let Some(dir) = loaded_libtorch_dir() {
        out.push(format!("{dir}/libtorch_cuda.so"));
    }
    let built = env!("SINE_RNN_LIBTORCH_LIB");
    if !built.is_empty() {
        out.push(format!("{built}/libtorch_cuda.so"));
    }
    out.push("libtorch_cuda.so".into());
    out
}

/// The directory of the `libtorch_cpu.so` mapped into this process (linked at start,
/// so always there), read from the kernel's list of this process's mappings.
fn loaded_libtorch_dir() -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    // The path is the last field, and the only one with a `/` (it may hold spaces).
    maps.lines()
        .filter_map(|line| line.find('/').map(|i| &line[i..]))
        .find(|path| path.ends_with("/libtorch_cpu.so"))
        .and_then(|path| path.rsplit_once('/'))
        .map(|(dir, _)| dir.to_string())
}

/// The device as stderr reports it, with why CUDA is or is not in use whenever
/// it was considered (`--device cpu` never probes for it).
pub fn describe(choice: DeviceChoice, device: Device) -> String {
    match choice {
        DeviceChoice::Cpu => name(device),
        _ => format!("{} (CUDA: {})", name(device), cuda_status()),
    }
}

/// How the device is named in logs and JSON: `cpu` or `cuda:0`.
pub fn name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".into(),
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}
