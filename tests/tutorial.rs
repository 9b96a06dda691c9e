//! examples/tutorial.rs, the one-file tutorial, against the `sine-rnn` binary:
//! the same stdout to the byte, and a scatter plot.

mod common;

use std::process::Command;

use common::{scratch, sine_rnn, stderr, stdout};

#[test]
fn the_example_prints_what_the_binary_prints() {
    for config in [
        "",
        // Losses below 1e-4: Python's exponent form.
        "--seed 5 --seq-length 3 --epochs 200",
        "--seed 7 --hidden-size 16 --seq-length 50 --epochs 40 --lr 0.05",
        // Untrained: predictions anywhere, and the legend must still hide none.
        "--seed 1 --epochs 0",
    ] {
        let flags: Vec<&str> = config.split_whitespace().collect();
        let dir = scratch();
        let tutorial = Command::new(common::example("tutorial"))
            .args(&flags)
            .args(["--plot", "t.svg"])
            .current_dir(dir.path())
            .output()
            .expect("the example runs");
        assert!(tutorial.status.success(), "{config}: {}", stderr(&tutorial));
        let mut binary_flags = flags.clone();
        binary_flags.extend(["--device", "cpu", "--no-plot"]);
        let binary = sine_rnn(&binary_flags, dir.path());
        assert!(binary.status.success(), "{config}: {}", stderr(&binary));
        let value = |flag: &str, default: usize| -> usize {
            flags.iter().position(|f| *f == flag).map_or(default, |k| flags[k + 1].parse().expect("a number"))
        };
        assert_eq!(stdout(&binary).lines().count(), value("--epochs", 300).div_ceil(10), "{config}");
        assert_eq!(stdout(&tutorial), stdout(&binary), "{config}: stdout differs");

        let svg = std::fs::read_to_string(dir.path().join("t.svg")).expect("the plot is written");
        assert!(svg.starts_with("<svg") && svg.contains("Actual") && svg.contains("Predicted"), "{config}");
        let points = svg.matches("<circle").count();
        let n: usize =
            flags.iter().position(|f| *f == "--seq-length").map_or(20, |k| flags[k + 1].parse().unwrap());
        // n actual points, n predictions, and one marker of each in the legend.
        assert_eq!(points, 2 * n + 2, "{config}");
        // Inside the legend's frame: its two markers, and no point of the data.
        let (x, y, w, h) = legend_frame(&svg);
        let inside =
            circles(&svg).filter(|(cx, cy)| (x..=x + w).contains(cx) && (y..=y + h).contains(cy)).count();
        assert_eq!(inside, 2, "{config}: the legend covers {} point(s)", inside - 2);
    }
}

/// A numeric attribute of an SVG element.
fn attr(element: &str, name: &str) -> f64 {
    let start = element.find(&format!(" {name}=\"")).expect("the attribute") + name.len() + 3;
    element[start..].split('"').next().and_then(|v| v.parse().ok()).expect("a number")
}

/// The centres of the SVG's circles.
fn circles(svg: &str) -> impl Iterator<Item = (f64, f64)> + '_ {
    svg.split("<circle").skip(1).filter_map(|c| c.split('>').next()).map(|c| (attr(c, "cx"), attr(c, "cy")))
}

/// The legend's frame: the one rectangle drawn with a black border.
fn legend_frame(svg: &str) -> (f64, f64, f64, f64) {
    let rect = svg
        .split("<rect")
        .filter_map(|r| r.split('>').next())
        .find(|r| r.contains("stroke=\"#000000\""))
        .expect("a framed legend");
    (attr(rect, "x"), attr(rect, "y"), attr(rect, "width"), attr(rect, "height"))
}
