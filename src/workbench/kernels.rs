//! Which CPU kernels libtorch computes with, pinned so that every x86-64 machine
//! with AVX2 prints the same bits (PyTorch's own, run the same way).
//!
//! libtorch picks two things by CPU: MKL's code path for the small matrix
//! products (with fused multiply-adds on recent Intel CPUs, without on others:
//! the last bits differ) and ATen's vector width (AVX2 or AVX-512 for tanh, the
//! normal draw, ...). Both read an environment variable the first time they are
//! needed, so setting them before the first tensor operation pins them:
//! `MKL_CBWR=COMPATIBLE` (MKL's Conditional Numerical Reproducibility, no FMA
//! path) and `ATEN_CPU_CAPABILITY=avx2`. A value already in the environment is the
//! user's choice and wins.

use clap::ValueEnum;

/// The `--cpu-kernels` flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CpuKernels {
    /// The same kernels on every x86-64 CPU with AVX2: the same bits everywhere
    Portable,
    /// libtorch's own choice for this CPU, as a plain `python` run makes it
    Machine,
}

/// Each variable, its portable value, and the values libtorch takes (MKL's may
/// end in `,STRICT`).
const PORTABLE: [(&str, &str, &[&str]); 2] = [
    (
        "MKL_CBWR",
        "COMPATIBLE",
        &["AUTO", "COMPATIBLE", "SSE2", "SSSE3", "SSE4_1", "SSE4_2", "AVX", "AVX2", "AVX512", "AVX512_E1"],
    ),
    ("ATEN_CPU_CAPABILITY", "avx2", &["default", "avx2", "avx512"]),
];

/// One variable as [`pin`] left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub portable: &'static str,
    /// Its value in the environment now (lossy where it is not UTF-8).
    pub value: Option<String>,
    /// Whether that value was the user's, already there.
    pub from_user: bool,
    /// Whether libtorch takes the value (it ignores others, and chooses itself).
    pub accepted: bool,
}

/// What [`pin`] did, for the stderr header and its notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernels {
    pub choice: CpuKernels,
    pub settings: Vec<Setting>,
}

/// Sets the portable values where the environment has none (`Portable`), or
/// leaves the environment as it is (`Machine`). Must run before the first tensor
/// operation, while no other thread reads the environment (libtorch has none yet;
/// the signal thread never does).
pub fn pin(choice: CpuKernels) -> Kernels {
    let settings = PORTABLE
        .iter()
        .map(|&(name, portable, accepted)| {
            let mine = std::env::var_os(name);
            if mine.is_none() && choice == CpuKernels::Portable {
                std::env::set_var(name, portable);
            }
            let value = std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
            let takes = |v: &String| accepted.contains(&v.strip_suffix(",STRICT").unwrap_or(v));
            Setting {
                name,
                portable,
                from_user: mine.is_some(),
                accepted: value.as_ref().is_some_and(takes),
                value,
            }
        })
        .collect();
    Kernels { choice, settings }
}

impl Kernels {
    /// How the stderr header names the kernels, e.g. `CPU kernels portable
    /// (MKL_CBWR=COMPATIBLE, ATEN_CPU_CAPABILITY=avx2)`.
    pub fn describe(&self) -> String {
        let words: Vec<String> = (self.settings.iter())
            .map(|s| match (&s.value, s.from_user) {
                (Some(v), true) => format!("{}={v} from the environment", s.name),
                (Some(v), false) => format!("{}={v}", s.name),
                (None, _) => format!("{} unset", s.name),
            })
            .collect();
        let pinned = self.settings.iter().all(|s| s.value.as_deref() == Some(s.portable));
        let name = match self.choice {
            CpuKernels::Portable if pinned => "portable",
            CpuKernels::Portable => "portable, overridden",
            CpuKernels::Machine => "machine",
        };
        format!("CPU kernels {name} ({})", words.join(", "))
    }

    /// Lines for stderr after the header: a value libtorch ignores, a user's value
    /// that overrides the portable one, a CPU on which the portable numbers
    /// cannot hold.
    pub fn notes(&self, cpu_has_avx2: bool) -> Vec<String> {
        const DIFFER: &str = "the digits may differ from other machines'";
        let portable = self.choice == CpuKernels::Portable;
        let mut out: Vec<String> = (self.settings.iter())
            .filter_map(|s| match s.value.as_deref()? {
                v if !s.accepted => Some(format!(
                    "{}={v} from the environment is not a value libtorch takes, so it chooses for this CPU; {DIFFER}",
                    s.name
                )),
                v if portable && v != s.portable => Some(format!(
                    "{n}={v} from the environment wins over the portable {n}={}; {DIFFER}",
                    s.portable,
                    n = s.name
                )),
                _ => None,
            })
            .collect();
        if portable && !cpu_has_avx2 {
            out.push(format!("this CPU has no AVX2, so libtorch cannot use the portable kernels: {DIFFER}"));
        }
        out
    }
}

/// Whether this CPU can run the portable kernels.
pub fn cpu_has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}
