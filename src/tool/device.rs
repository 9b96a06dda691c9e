//! "CPU, or CUDA if present", without making CPU-only machines pay for CUDA. The
//! usual tch recipe links `libtorch_cuda.so`, so every run maps the CUDA stack
//! (about 400 MB more resident memory), GPU or not. This binary does not (see
//! build.rs): where an NVIDIA driver is present, it `dlopen`s libtorch_cuda before
//! the first CUDA question, whose initialisers register libtorch's CUDA hooks.

use std::sync::OnceLock;

use anyhow::{bail, Result};
use libloading::os::unix::{Library, RTLD_GLOBAL, RTLD_NOW};
use tch::Device;

/// The `--device` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceChoice {
    Auto,
    Cpu,
    Cuda,
}

impl DeviceChoice {
    /// Each choice with the name `--device` takes and what it means.
    pub const CHOICES: [(DeviceChoice, &'static str, &'static str); 3] = [
        (DeviceChoice::Auto, "auto", "CUDA when a usable GPU is present, else the CPU"),
        (DeviceChoice::Cpu, "cpu", "The CPU, without looking for a GPU"),
        (DeviceChoice::Cuda, "cuda", "The first CUDA GPU; an error when there is none"),
    ];
}

/// Resolves `--device` to a tch device, loading CUDA support only when it can be used.
pub fn select(choice: DeviceChoice) -> Result<Device> {
    match choice {
        DeviceChoice::Cpu => Ok(Device::Cpu),
        _ if cuda_available() => Ok(Device::Cuda(0)),
        DeviceChoice::Auto => Ok(Device::Cpu),
        DeviceChoice::Cuda => bail!(
            "--device cuda: no usable NVIDIA GPU found ({}); use --device cpu or --device auto",
            cuda_status()
        ),
    }
}

/// Whether a GPU can be used: the one test of it, for the binary and its tests.
pub fn cuda_available() -> bool {
    load_cuda_support().is_ok() && tch::Cuda::is_available()
}

/// Why CUDA is (un)available, for messages.
pub fn cuda_status() -> String {
    match load_cuda_support() {
        Err(why) => why.clone(),
        Ok(()) if tch::Cuda::is_available() => format!("{} CUDA device(s)", tch::Cuda::device_count()),
        Ok(()) => "the NVIDIA driver is present but libtorch sees no CUDA device".into(),
    }
}

/// Loads the driver, then libtorch_cuda, once, for good; libtorch_cuda is looked
/// up as libtorch_cpu was (LD_LIBRARY_PATH, then build.rs's run path), so both come
/// from one build. RTLD_GLOBAL lets libtorch's own lookups see them.
fn load_cuda_support() -> &'static std::result::Result<(), String> {
    static LOADED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    LOADED.get_or_init(|| {
        // SAFETY: loading a library runs its initialisers; the NVIDIA driver and
        // libtorch_cuda are built to be loaded so, and are never unloaded.
        let open =
            |name: &str| unsafe { Library::open(Some(name), RTLD_NOW | RTLD_GLOBAL) }.map(std::mem::forget);
        open("libcuda.so.1").map_err(|_| "no NVIDIA driver (libcuda.so.1) on this machine".to_string())?;
        open("libtorch_cuda.so")
            .map_err(|e| format!("the NVIDIA driver is present but libtorch_cuda.so did not load: {e}"))
    })
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
        Device::Cuda(i) => format!("cuda:{i}"),
        other => format!("{other:?}").to_lowercase(),
    }
}
