//! The tool's parts: the stdout epoch log, the one-line panic reports, error
//! lines and weights headers of any size.

mod common;

use std::io::{self, Write};
use std::process::Command;
use std::sync::Mutex;

use sine_rnn::tool::process::describe_panic;
use sine_rnn::tool::progress::EpochLog;
use tch::{Kind, Tensor};

#[test]
fn the_log_prints_every_nth_epoch_as_python_does() {
    let mut out = Vec::new();
    let mut log = EpochLog::new(&mut out, 10);
    for (i, loss) in [2.853_710_7_f32, 1.0, 5e-5, f32::NAN].iter().cycle().take(31).enumerate() {
        log.record(i, *loss);
    }
    log.finish().expect("a Vec takes every write");
    // Epochs 0, 10, 20, 30 carry losses[0], [2], [0], [2] of the cycle of four.
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "Epoch: 0 loss 2.853710651397705\nEpoch: 10 loss 4.999999873689376e-05\n\
         Epoch: 20 loss 2.853710651397705\nEpoch: 30 loss 4.999999873689376e-05\n"
    );
    let mut every = Vec::new();
    let mut log = EpochLog::new(&mut every, 1);
    (0..3).for_each(|i| log.record(i, 1.0));
    log.finish().unwrap();
    assert_eq!(String::from_utf8(every).unwrap().lines().count(), 3);
}

/// A writer that fails every write with the given kind, counting the attempts.
struct Failing(io::ErrorKind, usize);

impl Write for Failing {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        self.1 += 1;
        Err(io::Error::from(self.0))
    }
    fn flush(&mut self) -> io::Result<()> {
        Err(io::Error::from(self.0))
    }
}

#[test]
fn a_reader_that_goes_away_is_not_an_error_but_a_full_disk_is() {
    let mut gone = Failing(io::ErrorKind::BrokenPipe, 0);
    let mut log = EpochLog::new(&mut gone, 10);
    (0..100).for_each(|i| log.record(i, 1.0));
    assert!(log.finish().is_ok());
    assert_eq!(gone.1, 1, "after the first broken pipe, nothing more is written");

    let mut full = Failing(io::ErrorKind::StorageFull, 0);
    let mut log = EpochLog::new(&mut full, 10);
    (0..100).for_each(|i| log.record(i, 1.0));
    let e = log.finish().expect_err("a full disk is reported");
    assert!(format!("{e:#}").starts_with("writing the log to stdout:"), "{e:#}");
}

#[test]
fn panics_are_told_apart_libtorch_or_ours() {
    static SEEN: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| SEEN.lock().unwrap().push(describe_panic(info))));
    // libtorch refuses a product of mismatched shapes; tch turns that into a panic.
    let torch = std::panic::catch_unwind(|| {
        let a = Tensor::zeros([2, 3], (Kind::Float, tch::Device::Cpu));
        let _ = a.mm(&a);
    });
    let line = line!() + 1; // where the panic below is raised
    let ours = std::panic::catch_unwind(|| panic!("an invariant of ours broke\nsecond line"));
    std::panic::set_hook(previous);
    assert!(torch.is_err() && ours.is_err());
    let seen = SEEN.lock().unwrap();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen[0].starts_with("libtorch failed: "), "{}", seen[0]);
    assert!(seen[0].contains("mat1 and mat2 shapes cannot be multiplied"), "{}", seen[0]);
    assert!(!seen[0].contains('\n'), "{}", seen[0]);
    assert_eq!(
        seen[1],
        format!("internal error at tests/support.rs:{line}: an invariant of ours broke (please report it)")
    );
}

/// stderr's "trained … in … s" line reports `Trained::train_time`: the training
/// loop alone. With no epoch and a long sequence, almost all the work is the
/// prediction pass, which must not be counted.
#[test]
fn the_training_time_leaves_out_the_prediction_pass() {
    use sine_rnn::backends::{train_with, Backend};
    use sine_rnn::steps::data::{sine_data, Config};
    let _lock = common::seed_lock();
    let cfg = Config { seed: 0, epochs: 0, lr: 0.1, seq_length: 20_000, hidden_size: 6 };
    let data = sine_data(cfg.seq_length, tch::Device::Cpu);
    let started = std::time::Instant::now();
    let trained = train_with(Backend::Tch, &cfg, &data, tch::Device::Cpu, None, |_: usize, _: f32| {});
    let total = started.elapsed();
    assert_eq!(trained.predictions.len(), 20_000);
    assert!(trained.train_time * 10 < total, "train_time {:?} of {total:?}", trained.train_time);
}

#[test]
fn kernel_notes_name_an_override_and_a_cpu_without_avx2() {
    use sine_rnn::tool::kernels::{CpuKernels, Kernels, Setting};
    let mkl = |value: Option<&str>, from_user: bool| Setting {
        name: "MKL_CBWR",
        portable: "COMPATIBLE",
        value: value.map(String::from),
        from_user,
    };
    let aten = Setting {
        name: "ATEN_CPU_CAPABILITY",
        portable: "avx2",
        value: Some("avx2".into()),
        from_user: false,
    };
    let kernels = |choice, mkl: Setting| Kernels { choice, settings: vec![mkl, aten.clone()] };
    let portable = kernels(CpuKernels::Portable, mkl(Some("COMPATIBLE"), false));
    assert!(portable.notes(true).is_empty());
    assert_eq!(portable.describe(), "CPU kernels portable (MKL_CBWR=COMPATIBLE, ATEN_CPU_CAPABILITY=avx2)");
    assert!(kernels(CpuKernels::Portable, mkl(Some("COMPATIBLE"), true)).notes(true).is_empty());
    assert_eq!(
        portable.notes(false),
        ["this CPU has no AVX2, so libtorch cannot use the portable kernels: the digits may differ from other machines'"]
    );
    let overridden = kernels(CpuKernels::Portable, mkl(Some("AVX2"), true));
    assert_eq!(
        overridden.describe(),
        "CPU kernels portable, overridden (MKL_CBWR=AVX2 from the environment, ATEN_CPU_CAPABILITY=avx2)"
    );
    assert_eq!(overridden.notes(false).len(), 2);
    // A value libtorch ignores (it chooses for this CPU then) is an override too.
    let ignored = kernels(CpuKernels::Portable, mkl(Some("compatible"), true));
    assert_eq!(
        ignored.notes(true),
        ["MKL_CBWR=compatible from the environment wins over the portable MKL_CBWR=COMPATIBLE; \
          the digits may differ from other machines'"]
    );
    // The machine's kernels promise nothing, so there is nothing to warn of.
    let machine = kernels(CpuKernels::Machine, mkl(None, false));
    assert!(machine.notes(false).is_empty());
    assert_eq!(machine.describe(), "CPU kernels machine (MKL_CBWR unset, ATEN_CPU_CAPABILITY=avx2)");
    // Nor when the user set a value, taken by libtorch or not: the header names it.
    let bogus = kernels(CpuKernels::Machine, mkl(Some("bogus"), true));
    assert!(bogus.notes(true).is_empty());
    assert_eq!(
        bogus.describe(),
        "CPU kernels machine (MKL_CBWR=bogus from the environment, ATEN_CPU_CAPABILITY=avx2)"
    );
}

/// A weights file whose header is `header`, with no tensor data.
fn weights_with_header(path: &std::path::Path, header: &[u8]) {
    let bytes = [&(header.len() as u64).to_le_bytes()[..], header].concat();
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn an_error_quoting_a_huge_header_string_is_one_short_line() {
    let dir = common::scratch();
    let huge = "A".repeat(20 << 20);
    let header = format!(r#"{{"w1":{{"dtype":"{huge}","shape":[7,6],"data_offsets":[0,168]}}}}"#);
    weights_with_header(&dir.path().join("w.st"), header.as_bytes());
    let out = common::sine_rnn(&["--init-weights", "w.st", "--no-plot"], dir.path());
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{}", &err[..err.len().min(300)]);
    assert_eq!(err.lines().count(), 1);
    assert!(err.len() < 1200, "an error line of {} bytes", err.len());
    assert!(err.starts_with("sine-rnn: error: --init-weights: w.st is not a safetensors file ("), "{err}");
    assert!(err.contains("characters cut") && err.ends_with(" (see sine-rnn --help)\n"), "{err}");
}

#[test]
fn a_huge_header_of_any_shape_is_read_in_little_more_memory_than_its_size() {
    let dir = common::scratch();
    // 90 MB each, under safetensors' 100 MB limit: an array of 45 million zeros
    // (once 1.6 GB in memory), and an object of a million small entries.
    let array = format!("[{}0]", "0,".repeat(45_000_000));
    weights_with_header(&dir.path().join("array.st"), array.as_bytes());
    drop(array);
    let entry = |k: usize| format!(r#""t{k}":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#);
    let object = format!("{{{}}}", (0..1_300_000).map(entry).collect::<Vec<_>>().join(","));
    weights_with_header(&dir.path().join("object.st"), object.as_bytes());
    drop(object);
    for name in ["array.st", "object.st"] {
        // 1 GB of address space, libtorch's included (a run needs under 600 MB).
        let script = format!("ulimit -v 1000000; exec \"$0\" --init-weights {name} --no-plot");
        let out =
            Command::new("sh").args(["-c", &script, common::BIN]).current_dir(dir.path()).output().unwrap();
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {}", &err[..err.len().min(500)]);
        assert_eq!(err.lines().count(), 1, "{name}");
        assert!(err.contains(&format!("{name} is not a safetensors file (")), "{name}: {err}");
    }
}
