//! The `sine-rnn` binary: the flags converted once into options, then one run of
//! the tool, and the exit code it ends with.

use sine_rnn::cli;
use sine_rnn::tool::process::{self, EXIT_RUNTIME, EXIT_USAGE};
use sine_rnn::tool::{device, kernels, run, signals};

fn main() {
    if let Err(e) = signals::install() {
        process::error_line(&format!("{e:#}"), "");
        process::exit_now(EXIT_RUNTIME);
    }
    let opts = cli::parse_or_exit();
    // Before the first tensor operation, which is when libtorch reads them.
    let kernels = kernels::pin(opts.cpu_kernels);
    process::install_panic_hook();
    let code = match device::select(opts.device) {
        Err(e) => {
            process::error_line(&format!("{e:#}"), "");
            EXIT_USAGE
        }
        Ok(device) => match std::panic::catch_unwind(|| run::run(&opts, &kernels, device)) {
            Ok(Ok(code)) => code,
            Ok(Err(e)) => {
                process::error_line(&format!("{e:#}"), "");
                EXIT_RUNTIME
            }
            Err(_) => EXIT_RUNTIME, // the panic hook has said what happened
        },
    };
    process::exit_now(code)
}
