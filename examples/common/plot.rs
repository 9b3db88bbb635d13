//! A loss curve as a self-contained SVG: training (smoothed) and validation
//! loss per character against steps, with axes, ticks, labels and a legend.

use std::fmt::Write;

/// The points to plot, as (step, nats per character).
#[derive(Default)]
pub struct LossPlot {
    /// Smoothed training loss.
    pub train: Vec<(f64, f64)>,
    /// Validation loss.
    pub valid: Vec<(f64, f64)>,
}

const W: f64 = 720.0;
const H: f64 = 420.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 55.0;

/// About five round tick values covering [lo, hi].
fn ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(raw);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + step * 1e-9 {
        out.push(t);
        t += step;
    }
    out
}

fn label(x: f64) -> String {
    if x.abs() >= 1000.0 && x.fract() == 0.0 {
        if x % 1000.0 == 0.0 {
            format!("{}k", x / 1000.0)
        } else {
            format!("{x}")
        }
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}").trim_end_matches('0').to_string()
    }
}

impl LossPlot {
    /// The SVG document.
    pub fn svg(&self, title: &str) -> String {
        // A NaN or an infinity has no place on the axes: such points are left
        // out, and the plot says how many.
        let finite = |&&(x, y): &&(f64, f64)| x.is_finite() && y.is_finite();
        let all = || self.train.iter().chain(&self.valid).filter(finite);
        let skipped = self.train.len() + self.valid.len() - all().count();
        let (x_max, mut y_min, mut y_max) = all()
            .fold((1.0f64, f64::MAX, f64::MIN), |(a, b, c), &(x, y)| {
                (a.max(x), b.min(y), c.max(y))
            });
        if y_min > y_max {
            (y_min, y_max) = (0.0, 1.0);
        }
        let pad = (y_max - y_min).max(0.1) * 0.05;
        let (y_lo, y_hi) = ((y_min - pad).max(0.0), y_max + pad);
        let px = |x: f64| LEFT + x / x_max * (W - LEFT - RIGHT);
        let py = |y: f64| TOP + (y_hi - y) / (y_hi - y_lo) * (H - TOP - BOTTOM);
        let mut s = String::new();
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="24" text-anchor="middle" font-size="15">{}</text>
"##,
            W / 2.0,
            escape(title)
        );
        for t in ticks(0.0, x_max) {
            let x = px(t);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#eee"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                H - BOTTOM,
                H - BOTTOM + 18.0,
                label(t)
            );
        }
        for t in ticks(y_lo, y_hi) {
            let y = py(t);
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#eee"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                W - RIGHT,
                LEFT - 6.0,
                y + 4.0,
                label(t)
            );
        }
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" y1="{b:.1}" x2="{r:.1}" y2="{b:.1}" stroke="black"/><line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{b:.1}" stroke="black"/>
<text x="{cx:.1}" y="{:.1}" text-anchor="middle">training step (window of seq_length characters)</text>
<text transform="translate(18 {cy:.1}) rotate(-90)" text-anchor="middle">loss (nats per character)</text>"##,
            H - 12.0,
            b = H - BOTTOM,
            r = W - RIGHT,
            cx = (LEFT + W - RIGHT) / 2.0,
            cy = (TOP + H - BOTTOM) / 2.0,
        );
        for (points, color, name, y_legend) in [
            (&self.train, "#1f77b4", "training (smoothed)", TOP + 14.0),
            (
                &self.valid,
                "#d62728",
                "validation (held-out 5%)",
                TOP + 32.0,
            ),
        ] {
            if points.is_empty() {
                continue;
            }
            let path: Vec<String> = points
                .iter()
                .filter(finite)
                .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
                .collect();
            let _ = writeln!(
                s,
                r##"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"##,
                path.join(" ")
            );
            if points.len() < 30 {
                for &(x, y) in points.iter().filter(finite) {
                    let _ = writeln!(
                        s,
                        r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"##,
                        px(x),
                        py(y)
                    );
                }
            }
            let lx = W - RIGHT - 220.0;
            let _ = writeln!(
                s,
                r##"<line x1="{lx}" y1="{y_legend}" x2="{}" y2="{y_legend}" stroke="{color}" stroke-width="3"/><text x="{}" y="{}">{name}</text>"##,
                lx + 24.0,
                lx + 30.0,
                y_legend + 4.0
            );
        }
        if skipped > 0 {
            let _ = writeln!(
                s,
                r##"<text x="{LEFT}" y="{}" fill="#d62728">{skipped} points not shown: their loss is not finite</text>"##,
                TOP - 8.0
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
