//! Step 6 of the tutorial: the scatter plot (pylab in Python, plotters here), drawn
//! into memory in an embedded font (DejaVu Sans), as PNG or SVG by the file's name.

use std::path::Path;

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::steps::data::{times_after, SineData};

/// Pixel size of the figure.
const SIZE: (u32, u32) = (900, 600);
/// matplotlib's first two default colours, so the picture looks like pylab's.
const ACTUAL: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const PREDICTED: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
const GENERATED: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
/// The true wave past the data, drawn faintly under the generated points.
const TRUE_WAVE: RGBColor = RGBColor(0xb0, 0xb0, 0xb0);
const CAPTION: &str = "Elman RNN: one-step-ahead prediction of sin(t)";

/// Whether a plot's name asks for SVG (`.svg`) or PNG (`.png`), in any case;
/// `None` for any other name.
pub fn is_svg(path: &Path) -> Option<bool> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    [("svg", true), ("png", false)].into_iter().find(|f| f.0 == ext).map(|f| f.1)
}

/// Draws with the backend `path`'s name asks for, into bytes.
macro_rules! render_as {
    ($path:expr, |$root:ident| $draw:expr) => {{
        register_font();
        if is_svg($path) == Some(true) {
            let mut svg = String::new();
            let $root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
            $draw?;
            Ok(svg.into_bytes())
        } else {
            let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
            // `$draw` consumes the area, and with it the borrow of the buffer.
            let $root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
            $draw?;
            encode_png(&rgb, SIZE)
        }
    }};
}

/// `pl.scatter(time_steps[:-1], x, s=90, label="Actual")` and
/// `pl.scatter(time_steps[1:], predictions, label="Predicted")`, with a legend;
/// plus the finite part of `generated`, the closed-loop continuation, over a
/// faint line of the true sin(t), so the drift shows.
pub fn render(path: &Path, data: &SineData, predicted: &[f32], generated: &[f32]) -> Result<Vec<u8>> {
    let points = |t: &[f64], v: &[f32]| t.iter().zip(v).map(|(t, v)| (*t, *v as f64)).collect::<Vec<_>>();
    let (time_steps, (actual, _)) = (&data.time_steps, data.xy_values());
    let actual = points(time_steps, actual);
    let predicted = points(&time_steps[1..], predicted);
    let finite = generated.iter().take_while(|v| v.is_finite()).count();
    let generated = points(&times_after(time_steps, finite), generated);
    // sin(t) from the last data point to the last generated one, finely sampled.
    let truth: Vec<(f64, f64)> =
        time_steps.last().zip(generated.last()).map_or(Vec::new(), |(&t0, &(t1, _))| {
            (0..=400).map(|k| t0 + (t1 - t0) * k as f64 / 400.0).map(|t| (t, t.sin())).collect()
        });
    render_as!(path, |root| draw_wave(root, &actual, &predicted, &generated, &truth))
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
    root.fill(&WHITE).map_err(err)?;
    let area = root.margin(16, 16, 16, 16).titled(CAPTION, ("sans-serif", 24)).map_err(err)?;
    let mut builder = ChartBuilder::on(&area);
    builder.x_label_area_size(44).y_label_area_size(56);
    let (w, h) = builder.build_cartesian_2d(t0..t1, v0..v1).map_err(err)?.plotting_area().dim_in_pixel();
    // The legend's box as plotters lays it out (5 px from the corner, 10 px of margin, 30 px of
    // markers); the value range reaches just high enough for the points under it to pass 2 px below.
    let labels = ["Actual", "Predicted", "sin(t) past the data", "Generated (closed loop)"];
    let series = [(7.0, actual), (4.0, predicted), (1.0, truth), (5.0, generated)];
    let mut text = MultiLineText::<_, &str>::new((0, 0), ("sans-serif", 16));
    labels.iter().zip(&series).filter(|(_, s)| !s.1.is_empty()).for_each(|(l, _)| text.push_line(*l));
    let (text_w, text_h) = text.estimate_dimension().map_err(|e| anyhow!("measuring the legend: {e:?}"))?;
    let (left, f) = ((w as i32 - text_w - 55) as f64, |r: f64| (r + (text_h + 27) as f64) / h as f64);
    let v1 = series
        .iter()
        .flat_map(|&(r, points)| points.iter().map(move |&(t, v)| (r, t, v)))
        .filter(|&(r, t, _)| (t - t0) / (t1 - t0) * w as f64 + r >= left)
        .fold(v1, |v1, (r, _, v)| v1.max((v - f(r) * v0) / (1.0 - f(r))));
    let mut chart = builder.build_cartesian_2d(t0..t1, v0..v1).map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("t")
        .y_desc("sin(t)")
        .y_label_formatter(&|v| format!("{:.1}", if v.abs() < 1e-9 { 0.0 } else { *v }))
        .light_line_style(WHITE)
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    // Each series of markers with its legend entry (which draws one more marker).
    macro_rules! markers {
        ($points:expr, $label:expr, |$p:ident| $marker:expr) => {
            let series = chart.draw_series($points.iter().map(|&$p| $marker)).map_err(err)?;
            series.label($label).legend(|$p| $marker);
        };
    }
    markers!(actual, "Actual", |p| Circle::new(p, 7, ACTUAL.filled()));
    markers!(predicted, "Predicted", |p| Circle::new(p, 4, PREDICTED.filled()));
    if !truth.is_empty() {
        chart
            .draw_series(LineSeries::new(truth.iter().copied(), TRUE_WAVE.stroke_width(2)))
            .map_err(err)?
            .label("sin(t) past the data")
            .legend(|(x, y)| PathElement::new([(x - 8, y), (x + 8, y)], TRUE_WAVE.stroke_width(2)));
    }
    if !generated.is_empty() {
        markers!(generated, "Generated (closed loop)", |p| TriangleMarker::new(p, 5, GENERATED.filled()));
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

/// Every epoch's total loss on a log axis (`--loss-plot`), but those it cannot show.
pub fn render_losses(path: &Path, losses: &[f32]) -> Result<Vec<u8>> {
    let points: Vec<(f64, f64)> = losses
        .iter()
        .enumerate()
        .filter(|(_, l)| l.is_finite() && **l > 0.0)
        .map(|(i, l)| (i as f64, *l as f64))
        .collect();
    render_as!(path, |root| draw_losses(root, &points))
}

fn draw_losses<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, points: &[(f64, f64)]) -> Result<()> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing the loss plot: {e:?}");
    // At least epochs 0 and 1 on the axis, labelled with whole numbers only.
    let epochs = points.last().map_or(1.0, |p| p.0.max(1.0));
    let caption =
        if points.is_empty() { "Total loss per epoch (no epoch trained)" } else { "Total loss per epoch" };
    let (lo, hi) = points.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (1e-3, 1.0) };
    root.fill(&WHITE).map_err(err)?;
    let area = root.margin(16, 16, 16, 16).titled(caption, ("sans-serif", 24)).map_err(err)?;
    let mut builder = ChartBuilder::on(&area);
    builder.x_label_area_size(44).y_label_area_size(70);
    let px = builder.build_cartesian_2d(0.0..1.0, 0.0..1.0).map_err(err)?.plotting_area().dim_in_pixel().1;
    let (lo, hi, ticks) = log_axis(lo, hi, px as f64);
    let mut chart =
        builder.build_cartesian_2d(0.0..epochs, (lo..hi).log_scale().with_key_points(ticks)).map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc("total loss (log scale)")
        .x_labels((epochs as usize + 1).min(11))
        .x_label_formatter(&|v| format!("{v:.0}"))
        .y_label_formatter(&|v| if (1e-4..1e5).contains(v) { format!("{v}") } else { format!("{v:e}") })
        .light_line_style(WHITE)
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(err)?;
    chart.draw_series(LineSeries::new(points.iter().copied(), ACTUAL.stroke_width(2))).map_err(err)?;
    // A line needs two points: a lone epoch is shown as a dot.
    let lone = points.iter().filter(|_| points.len() == 1);
    chart.draw_series(lone.map(|p| Circle::new(*p, 5, ACTUAL.filled()))).map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// A log axis over `lo..=hi` (> 0), `px` pixels long: its ends and ticks, on the 1-2-5
/// steps (1, 2, 5, 10, 20, …) around the data; where labels would come closer than 24 px,
/// every decade, or every n-th (1e-10, 1e-5, 1, …).
fn log_axis(lo: f64, hi: f64, px: f64) -> (f64, f64, Vec<f64>) {
    let at = |k: i32| -> f64 {
        format!("{}e{}", [1, 2, 5][k.rem_euclid(3) as usize], k.div_euclid(3)).parse().unwrap_or(f64::NAN)
    };
    let a = (3 * lo.log10().floor() as i32 - 1..).find(|&k| at(k + 1) > lo).unwrap_or(0);
    let b = (a + 1..).find(|&k| at(k) >= hi).unwrap_or(a + 1);
    if px / (at(b) / at(a)).log10() * 2f64.log10() >= 24.0 {
        return (at(a), at(b), (a..=b).map(at).collect());
    }
    let (a, b) = (a.div_euclid(3), (b + 2).div_euclid(3));
    let every = (24.0 * (b - a) as f64 / px).ceil() as i32;
    (at(3 * a), at(3 * b), (a..=b).filter(|d| d % every == 0).map(|d| at(3 * d)).collect())
}

/// The range of finite values, padded by 5% so markers are not cut at the frame.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let pad = if hi > lo { (hi - lo) * 0.05 } else { 1.0 };
    match lo.is_finite() {
        true => (lo - pad, hi + pad),
        false => (-1.0, 1.0),
    }
}

fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_compression(png::Compression::Best);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// The embedded font, for plotters' "sans-serif" (registering it again replaces it;
/// should it fail to parse, drawing text fails with plotters' error).
fn register_font() {
    let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
}
