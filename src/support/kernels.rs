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
    // The same kernels on every x86-64 CPU with AVX2: the same bits everywhere.
    // (Plain comments: doc comments would turn clap's --help into its long form.)
    Portable,
    // libtorch's own choice for this CPU, as a plain `python` run makes it.
    Machine,
}

/// The settings that make the kernels portable, in the order they are reported.
pub const PORTABLE: [(&str, &str); 2] = [("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2")];

/// What [`pin`] did, for the stderr header and its notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernels {
    pub choice: CpuKernels,
    /// Each variable of [`PORTABLE`] with its value in the environment, if any.
    pub values: Vec<(&'static str, Option<String>)>,
    /// The variables whose values came from the user's environment.
    pub from_user: Vec<&'static str>,
}

/// Sets the portable values where the environment has none (`Portable`), or
/// leaves the environment as it is (`Machine`). Must run before the first tensor
/// operation, while no other thread reads the environment (libtorch has none yet;
/// the signal thread never does).
pub fn pin(choice: CpuKernels) -> Kernels {
    let mut from_user = Vec::new();
    for (name, value) in PORTABLE {
        if std::env::var_os(name).is_some() {
            from_user.push(name);
        } else if choice == CpuKernels::Portable {
            std::env::set_var(name, value);
        }
    }
    let values = PORTABLE.iter().map(|(name, _)| (*name, std::env::var(name).ok())).collect();
    Kernels { choice, values, from_user }
}

impl Kernels {
    /// How the stderr header names the kernels, e.g. `CPU kernels portable
    /// (MKL_CBWR=COMPATIBLE ATEN_CPU_CAPABILITY=avx2)`.
    pub fn describe(&self) -> String {
        let settings: Vec<String> = self
            .values
            .iter()
            .map(|(name, value)| {
                let mine = if self.from_user.contains(name) { " from the environment" } else { "" };
                match value {
                    Some(v) => format!("{name}={v}{mine}"),
                    None => format!("{name} unset"),
                }
            })
            .collect();
        let portable = self.choice == CpuKernels::Portable && self.values_are_portable();
        let name = match self.choice {
            CpuKernels::Portable if portable => "portable",
            CpuKernels::Portable => "portable, overridden",
            CpuKernels::Machine => "machine",
        };
        format!("CPU kernels {name} ({})", settings.join(", "))
    }

    /// Lines for stderr after the header: a user's value that overrides the
    /// portable one, and a CPU on which the portable numbers cannot hold.
    pub fn notes(&self, cpu_has_avx2: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.choice == CpuKernels::Portable {
            for (name, portable) in PORTABLE {
                let value = self.values.iter().find(|(n, _)| *n == name).and_then(|(_, v)| v.as_deref());
                if let Some(v) = value.filter(|v| *v != portable) {
                    out.push(format!(
                        "{name}={v} from the environment wins over the portable {name}={portable}; \
                         the digits may differ from other machines'"
                    ));
                }
            }
            if !cpu_has_avx2 {
                out.push(
                    "this CPU has no AVX2, so libtorch cannot use the portable kernels: \
                     the digits may differ from other machines'"
                        .into(),
                );
            }
        }
        out
    }

    fn values_are_portable(&self) -> bool {
        PORTABLE.iter().all(|(name, portable)| {
            self.values.iter().any(|(n, v)| n == name && v.as_deref() == Some(*portable))
        })
    }
}

/// Whether this CPU can run the portable kernels.
pub fn cpu_has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}
