//! What a finished run writes: its notes on stderr, then every output file,
//! staged first and put in place together.

use anyhow::Result;

use crate::backends::Trained;
use crate::note;
use crate::pyfmt::{py_float, readable_tenth};
use crate::steps::data::Config;
use crate::steps::plot;
use crate::steps::train::diverged_at;
use crate::tool::files::{self, stage, Staged};
use crate::tool::options::Options;
use crate::tool::progress::Trace;
use crate::workbench::record::RunRecord;
use crate::workbench::weights;

/// Says on stderr where a signal stopped training, how long it took, and whether
/// it diverged (a run that did still printed what Python prints).
pub fn tell(cfg: &Config, trained: &Trained, stopped_by: Option<&str>) {
    let epochs = trained.losses.len();
    if let Some(sig) = stopped_by {
        let when = match epochs {
            0 => "before the first epoch".to_string(),
            n => format!("after epoch {} of {}", n - 1, cfg.epochs),
        };
        note!("sine-rnn: {sig}: stopped {when}; writing the outputs for the weights reached");
    }
    let (secs, points) = (trained.train_time.as_secs_f64(), cfg.seq_length);
    let per_step = if epochs > 0 { 1e6 * secs / (epochs * points) as f64 } else { 0.0 };
    note!("sine-rnn: trained {epochs} epochs x {points} points in {secs:.6} s ({per_step:.2} us per step)");
    if let Some(epoch) = diverged_at(&trained.losses) {
        let (lr, hint) = (py_float(cfg.lr), readable_tenth(cfg.lr));
        note!(
            "sine-rnn: the loss stopped being finite at epoch {epoch} (lr {lr}): training diverged; \
             try a smaller --lr, e.g. {hint}; no plot written"
        );
    } else if !trained.predictions.iter().all(|p| p.is_finite()) {
        note!("sine-rnn: the predictions are not finite; try a smaller --lr; no plot written");
    }
}

/// Writes every output aside (the trace, the weights, the JSON record, and step
/// 6's plots, which only a healthy run draws), then puts them all in place and
/// says where each went.
pub fn write_all(opts: &Options, run: &RunRecord, trace: Option<Trace>) -> Result<()> {
    let trained = run.trained;
    let mut staged: Vec<(&str, Staged)> = Vec::new();
    if let Some(trace) = trace {
        staged.push(("the trace", trace.finish()?));
    }
    if let Some(path) = &opts.save_weights {
        let w = &trained.values;
        if w.w1.iter().chain(&w.w2).all(|v| v.is_finite()) {
            staged.push(("the weights", stage(path, &weights::to_safetensors(w)?)?));
        } else {
            note!("sine-rnn: the weights are not finite; not saved to {}", path.display());
        }
    }
    if let Some(path) = &opts.json {
        let text = serde_json::to_string_pretty(&run.to_json())? + "\n";
        staged.push(("the record", stage(path, text.as_bytes())?));
    }
    if let (true, Some(path)) = (trained.healthy(), &opts.plot) {
        // Step 6: the plot, with the continuation if there is one.
        let bytes = plot::render(path, run.data, &trained.predictions, run.generated)?;
        staged.push(("the plot", stage(path, &bytes)?));
    }
    if let (true, Some(path)) = (trained.healthy(), &opts.loss_plot) {
        staged.push(("the loss plot", stage(path, &plot::render_losses(path, &trained.losses)?)?));
    }
    for (what, path) in files::commit_all(staged)? {
        match path.as_os_str() == files::STDOUT {
            true => note!("sine-rnn: wrote {what} to stdout"),
            false => note!("sine-rnn: wrote {}", path.display()),
        }
    }
    Ok(())
}
