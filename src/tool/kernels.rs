//! Which CPU kernels libtorch computes with, pinned so that every x86-64 machine
//! with AVX2 prints the same bits (PyTorch's own, run the same way). libtorch
//! picks two things by CPU: MKL's path for the small matrix products (with fused
//! multiply-adds on recent Intel CPUs: other last bits) and ATen's vector width.
//! Each reads a variable when first needed, so setting them before the first
//! tensor operation pins them: `MKL_CBWR=COMPATIBLE` (MKL's reproducible, FMA-free
//! path) and `ATEN_CPU_CAPABILITY=avx2`. A value already in the environment wins.

/// The `--cpu-kernels` choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CpuKernels {
    Portable,
    Machine,
}

impl CpuKernels {
    /// Each choice with the name `--cpu-kernels` takes and what it means.
    pub const CHOICES: [(CpuKernels, &'static str, &'static str); 2] = [
        (
            CpuKernels::Portable,
            "portable",
            "The same kernels on every x86-64 CPU with AVX2: the same bits everywhere",
        ),
        (
            CpuKernels::Machine,
            "machine",
            "libtorch's own choice for this CPU, as a plain `python` run makes it",
        ),
    ];
}

/// The variables and their portable values.
const PORTABLE: [(&str, &str); 2] = [("MKL_CBWR", "COMPATIBLE"), ("ATEN_CPU_CAPABILITY", "avx2")];

/// One variable as [`pin`] left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    pub portable: &'static str,
    /// Its value now (lossy where not UTF-8), and whether the user had set it.
    pub value: Option<String>,
    pub from_user: bool,
}

/// What [`pin`] did, for the stderr header and its notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kernels {
    pub choice: CpuKernels,
    pub settings: Vec<Setting>,
}

/// Sets the portable values where the environment has none (`Portable`), or
/// leaves it as it is (`Machine`). Must run before the first tensor operation,
/// while no other thread reads the environment (the signal thread never does).
pub fn pin(choice: CpuKernels) -> Kernels {
    let settings = (PORTABLE.iter())
        .map(|&(name, portable)| {
            let from_user = std::env::var_os(name).is_some();
            if !from_user && choice == CpuKernels::Portable {
                std::env::set_var(name, portable);
            }
            let value = std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
            Setting { name, portable, value, from_user }
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
        let name = match self.choice {
            CpuKernels::Portable if self.overridden().next().is_none() => "portable",
            CpuKernels::Portable => "portable, overridden",
            CpuKernels::Machine => "machine",
        };
        format!("CPU kernels {name} ({})", words.join(", "))
    }

    /// Lines for stderr after the header, where the portable numbers cannot hold:
    /// a user's value in place of a portable one, or a CPU without AVX2.
    pub fn notes(&self, cpu_has_avx2: bool) -> Vec<String> {
        const DIFFER: &str = "the digits may differ from other machines'";
        let wins = |(s, v): (&Setting, &str)| {
            format!(
                "{n}={v} from the environment wins over the portable {n}={}; {DIFFER}",
                s.portable,
                n = s.name
            )
        };
        let no_avx2 = "this CPU has no AVX2, so libtorch cannot use the portable kernels";
        let cpu = (!cpu_has_avx2).then(|| format!("{no_avx2}: {DIFFER}"));
        let notes = self.overridden().map(wins).chain(cpu);
        notes.filter(|_| self.choice == CpuKernels::Portable).collect()
    }

    /// The settings whose value is not the portable one, with that value.
    fn overridden(&self) -> impl Iterator<Item = (&Setting, &str)> {
        (self.settings.iter()).filter_map(|s| s.value.as_deref().filter(|v| *v != s.portable).map(|v| (s, v)))
    }
}

/// Whether this CPU can run the portable kernels.
pub fn cpu_has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}
