//! PyTorch's outputs kept in tests/golden/ (written by scripts/golden.py under the
//! portable CPU kernels), and runs of the binary to compare with them.

use std::path::Path;
use std::process::{Command, Output};

use super::{read_json, root, BIN};

/// One configuration's golden outputs.
pub struct Golden {
    pub name: String,
    pub flags: Vec<String>,
    pub stdout: Vec<u8>,
    pub exit_code: i32,
    /// The record: `data`, `epoch_losses`, `predictions`, `generated` as bits.
    pub record: serde_json::Value,
    pub w1: Vec<u32>,
    pub w2: Vec<u32>,
}

/// Every configuration of tests/golden/configs.txt, loaded.
/// The configurations the one-file tutorials take: the hyper-parameters only
/// (no `--generate`).
#[allow(dead_code)]
pub fn plain() -> Vec<Golden> {
    let plain: Vec<Golden> = all().into_iter().filter(|g| !g.uses("--generate")).collect();
    assert!(plain.len() >= 10, "only {} golden configurations without --generate", plain.len());
    plain
}

pub fn all() -> Vec<Golden> {
    let dir = root().join("tests/golden");
    let list = std::fs::read_to_string(dir.join("configs.txt")).expect("tests/golden/configs.txt");
    let golden: Vec<Golden> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| {
            let (name, flags) = line.split_once(':').expect("name: flags");
            load(&dir, name.trim(), flags)
        })
        .collect();
    assert!(golden.len() >= 12, "tests/golden/configs.txt lists {} configurations", golden.len());
    golden
}

fn load(dir: &Path, name: &str, flags: &str) -> Golden {
    let record = read_json(&dir.join(format!("{name}.json")));
    assert_eq!(record["flags"], flags.trim(), "{name}: the golden files are of other flags");
    let stdout = std::fs::read(dir.join(format!("{name}.stdout"))).expect("a golden stdout");
    let weights = std::fs::read(dir.join(format!("{name}.safetensors"))).expect("golden weights");
    let tensors = safetensors::SafeTensors::deserialize(&weights).expect("golden weights are safetensors");
    let words = |key: &str| -> Vec<u32> {
        let t = tensors.tensor(key).expect("w1 and w2");
        assert_eq!(t.dtype(), safetensors::Dtype::F32);
        t.data().chunks_exact(4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
    };
    Golden {
        name: name.to_string(),
        flags: flags.split_whitespace().map(String::from).collect(),
        stdout,
        exit_code: record["exit_code"].as_i64().expect("an exit code") as i32,
        w1: words("w1"),
        w2: words("w2"),
        record,
    }
}

impl Golden {
    /// Whether the configuration uses a flag (the one-file tutorial has fewer).
    pub fn uses(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// A command with neither kernel variable in its environment: what the binary
/// does by itself is what is under test.
pub fn bare(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new(program);
    cmd.env_remove("MKL_CBWR").env_remove("ATEN_CPU_CAPABILITY");
    cmd
}

/// Runs the binary on a golden configuration with `extra` flags, writing the
/// JSON record into `dir`; returns the output and the record.
pub fn run(g: &Golden, extra: &[&str], dir: &Path) -> (Output, serde_json::Value) {
    let json = dir.join(format!("{}.json", g.name));
    let out = bare(BIN)
        .args(&g.flags)
        .args(["--device", "cpu", "--no-plot", "--json"])
        .arg(&json)
        .args(extra)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    assert!(json.exists(), "{} {extra:?}: no record: {}", g.name, String::from_utf8_lossy(&out.stderr));
    (out, read_json(&json))
}

/// The bit patterns of one of the record's float32 arrays.
pub fn bits(record: &serde_json::Value, key: &str) -> Vec<u32> {
    record[key]["bits"]
        .as_array()
        .unwrap_or_else(|| panic!("{key} has bits"))
        .iter()
        .map(|b| u32::from_str_radix(b.as_str().expect("hex"), 16).expect("hex bits"))
        .collect()
}

/// The values of one of the record's float32 arrays.
pub fn values(record: &serde_json::Value, key: &str) -> Vec<f32> {
    bits(record, key).into_iter().map(f32::from_bits).collect()
}

/// Runs `check` on every configuration, two at a time (each run is mostly the
/// start-up of libtorch or of Python, so two share the machine well).
pub fn two_at_a_time(configs: &[Golden], check: impl Fn(&Golden) + Sync) {
    std::thread::scope(|s| {
        for half in [0, 1] {
            let check = &check;
            s.spawn(move || configs.iter().skip(half).step_by(2).for_each(check));
        }
    });
}
