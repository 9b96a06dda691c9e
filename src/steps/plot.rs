//! Step 6 of the tutorial: the scatter plot (pylab in Python, plotters here).
//!
//! Rendered in memory and returned as bytes, so the caller can write the file
//! atomically. The font is embedded (DejaVu Sans), so no system fonts are needed.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

/// Pixel size of the figure.
const SIZE: (u32, u32) = (900, 600);
/// matplotlib's first two default colours, so the picture looks like pylab's.
const ACTUAL: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const PREDICTED: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
const GENERATED: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
/// The true wave past the data, drawn faintly under the generated points.
const TRUE_WAVE: RGBColor = RGBColor(0xb0, 0xb0, 0xb0);
/// Share of the chart's height kept free above the data for a legend of `entries`
/// lines, so the legend never hides a point.
fn legend_band(entries: usize) -> f64 {
    0.08 + 0.05 * entries as f64
}

/// The output format, chosen by the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// `.svg` → SVG, `.png` → PNG (case-insensitive); anything else is refused.
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(Format::Png),
            "svg" => Some(Format::Svg),
            _ => None,
        }
    }
}

/// Renders with whichever backend `format` names, into bytes.
macro_rules! render_as {
    ($format:expr, |$root:ident| $draw:expr) => {
        match $format {
            Format::Svg => {
                let mut svg = String::new();
                {
                    let $root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
                    $draw?;
                }
                Ok(svg.into_bytes())
            }
            Format::Png => {
                let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
                {
                    let $root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
                    $draw?;
                }
                encode_png(&rgb, SIZE)
            }
        }
    };
}

/// `pl.scatter(time_steps[:-1], x, s=90, label="Actual")` and
/// `pl.scatter(time_steps[1:], predictions, label="Predicted")`, with a legend;
/// plus, when `generated` holds any points, the closed-loop continuation over a
/// faint line of the true sin(t), so the drift shows.
pub fn render(
    format: Format,
    time_steps: &[f64],
    actual: &[f32],
    predicted: &[f32],
    generated: (&[f64], &[f32]),
) -> Result<Vec<u8>> {
    register_font();
    let points =
        |t: &[f64], v: &[f32]| -> Vec<(f64, f64)> { t.iter().zip(v).map(|(t, v)| (*t, *v as f64)).collect() };
    let actual = points(&time_steps[..actual.len()], actual);
    let predicted = points(&time_steps[1..], predicted);
    let generated = points(generated.0, generated.1);
    // sin(t) from the last data point to the last generated one, finely sampled.
    let truth: Vec<(f64, f64)> = match (time_steps.last(), generated.last()) {
        (Some(&t0), Some(&(t1, _))) => {
            let n = 400;
            (0..=n).map(|k| t0 + (t1 - t0) * k as f64 / n as f64).map(|t| (t, t.sin())).collect()
        }
        _ => Vec::new(),
    };
    render_as!(format, |root| draw_wave(root, &actual, &predicted, &generated, &truth))
}

fn draw_wave<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    actual: &[(f64, f64)],
    predicted: &[(f64, f64)],
    generated: &[(f64, f64)],
    truth: &[(f64, f64)],
) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing the plot: {e:?}");
    let all = actual.iter().chain(predicted).chain(generated);
    let (t0, t1) = bounds(all.clone().map(|p| p.0));
    let (v0, v1) = bounds(all.chain(truth).map(|p| p.1));
    let band = legend_band(2 + usize::from(!truth.is_empty()) + usize::from(!generated.is_empty()));
    let v1 = v1 + (v1 - v0) * band / (1.0 - band);
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Elman RNN: one-step-ahead prediction of sin(t)", ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(56)
        .build_cartesian_2d(t0..t1, v0..v1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("t")
        .y_desc("sin(t)")
        .y_label_formatter(&|v| format!("{:.1}", if v.abs() < 1e-9 { 0.0 } else { *v }))
        .light_line_style(WHITE)
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(actual.iter().map(|p| Circle::new(*p, 7, ACTUAL.filled())))
        .map_err(err)?
        .label("Actual")
        .legend(|p| Circle::new(p, 7, ACTUAL.filled()));
    chart
        .draw_series(predicted.iter().map(|p| Circle::new(*p, 4, PREDICTED.filled())))
        .map_err(err)?
        .label("Predicted")
        .legend(|p| Circle::new(p, 4, PREDICTED.filled()));
    if !truth.is_empty() {
        chart
            .draw_series(LineSeries::new(truth.iter().copied(), TRUE_WAVE.stroke_width(2)))
            .map_err(err)?
            .label("sin(t) past the data")
            .legend(|(x, y)| PathElement::new([(x - 8, y), (x + 8, y)], TRUE_WAVE.stroke_width(2)));
    }
    if !generated.is_empty() {
        chart
            .draw_series(generated.iter().map(|p| TriangleMarker::new(*p, 5, GENERATED.filled())))
            .map_err(err)?
            .label("Generated (closed loop)")
            .legend(|p| TriangleMarker::new(p, 5, GENERATED.filled()));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Every epoch's total loss on a logarithmic axis (`--loss-plot`). Epochs whose
/// loss is not finite, or zero, are left out (a log axis cannot show them).
pub fn render_losses(format: Format, losses: &[f32]) -> Result<Vec<u8>> {
    register_font();
    let points: Vec<(f64, f64)> = losses
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_finite() && **l > 0.0)
        .map(|(i, l)| (i as f64, *l as f64))
        .collect();
    render_as!(format, |root| draw_losses(root, &points))
}

fn draw_losses<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, points: &[(f64, f64)]) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing the loss plot: {e:?}");
    // At least epochs 0 and 1 on the axis, labelled with whole numbers only.
    let epochs = points.last().map_or(1.0, |p| p.0.max(1.0));
    let x_labels = (epochs as usize + 1).min(11);
    let caption =
        if points.is_empty() { "Total loss per epoch (no epoch trained)" } else { "Total loss per epoch" };
    let (lo, hi) =
        points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    // Whole decades, at least one, so the log axis always has labelled ticks.
    let (lo, hi) = if lo.is_finite() {
        let (a, b) = (lo.log10().floor(), hi.log10().ceil());
        (10f64.powf(a), 10f64.powf(if b > a { b } else { a + 1.0 }))
    } else {
        (1e-3, 1.0)
    };
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(caption, ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(70)
        .build_cartesian_2d(0.0..epochs, (lo..hi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("total loss (log scale)")
        .x_labels(x_labels)
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| format!("{v:.0e}"))
        .light_line_style(WHITE)
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    chart.draw_series(LineSeries::new(points.iter().copied(), ACTUAL.stroke_width(2))).map_err(err)?;
    // A line needs two points: a lone epoch is shown as a dot.
    if points.len() == 1 {
        chart.draw_series(points.iter().map(|p| Circle::new(*p, 5, ACTUAL.filled()))).map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// The range of finite values, padded by 5% so markers are not cut at the frame.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() {
        return (-1.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.05 } else { 1.0 };
    (lo - pad, hi + pad)
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is a valid TTF; should it ever fail to parse, plotters
        // reports the missing font when drawing text, which surfaces as an error.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}
