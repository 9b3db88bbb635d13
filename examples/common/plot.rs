//! A loss curve as a self-contained SVG: training (smoothed) and validation
//! loss per character against steps, with axes, ticks, labels and a legend;
//! and the loss history it is drawn from, kept beside the checkpoint as CSV
//! so that a resumed run plots the whole run.

use std::fmt::Write;

/// The points to plot, as (step, nats per character).
#[derive(Default)]
pub struct LossPlot {
    /// Smoothed training loss.
    pub train: Vec<(f64, f64)>,
    /// Validation loss, measured on the same held-out characters each time.
    pub valid: Vec<(f64, f64)>,
    /// Validation loss over all the held-out text (at the end of a run).
    pub full: Vec<(f64, f64)>,
    /// The legend of `valid`.
    pub valid_label: String,
    /// The legend of `full`.
    pub full_label: String,
}

/// One measurement: the smoothed training loss, or a validation loss over
/// `chars` held-out characters; nats per character.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Point {
    /// The smoothed training loss after `step` steps.
    Train {
        /// Steps taken.
        step: u64,
        /// Nats per character.
        loss: f64,
    },
    /// A validation loss after `step` steps.
    Valid {
        /// Steps taken.
        step: u64,
        /// Nats per character.
        loss: f64,
        /// Held-out characters it was measured on.
        chars: usize,
    },
}

impl Point {
    /// The step it was measured after.
    pub fn step(&self) -> u64 {
        match *self {
            Point::Train { step, .. } | Point::Valid { step, .. } => step,
        }
    }
}

/// Every loss measured in a run, across resumes, in order.
#[derive(Debug, Default, PartialEq)]
pub struct History {
    /// The measurements.
    pub points: Vec<Point>,
}

const HEADER: &str = "step,train_loss,valid_loss,valid_chars";

impl History {
    /// As CSV, one measurement a line: `step,train_loss,,` or
    /// `step,,valid_loss,valid_chars`.
    pub fn to_csv(&self) -> String {
        let mut s = String::from(
            "# min-char-rnn loss history, nats per character: the smoothed training loss, and \
             the validation loss over valid_chars held-out characters\n",
        );
        s.push_str(HEADER);
        s.push('\n');
        for p in &self.points {
            let _ = match *p {
                Point::Train { step, loss } => writeln!(s, "{step},{loss:.6},,"),
                Point::Valid { step, loss, chars } => writeln!(s, "{step},,{loss:.6},{chars}"),
            };
        }
        s
    }

    /// Reads what [`History::to_csv`] wrote; `#` lines are comments.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut points = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line == HEADER {
                continue;
            }
            let bad = || {
                format!(
                    "line {}: {line:?} is not step,train_loss,valid_loss,valid_chars",
                    i + 1
                )
            };
            let f: Vec<&str> = line.split(',').collect();
            let [step, train, valid, chars] = f[..] else {
                return Err(bad());
            };
            let step: u64 = step.parse().map_err(|_| bad())?;
            points.push(match (train, valid, chars) {
                (t, "", "") => Point::Train {
                    step,
                    loss: t.parse().map_err(|_| bad())?,
                },
                ("", v, c) => Point::Valid {
                    step,
                    loss: v.parse().map_err(|_| bad())?,
                    chars: c.parse().map_err(|_| bad())?,
                },
                _ => return Err(bad()),
            });
        }
        Ok(History { points })
    }

    /// Forgets what was measured after `step` (a history saved after the
    /// checkpoint it belongs to, by a run that stopped in between).
    pub fn truncate(&mut self, step: u64) {
        self.points.retain(|p| p.step() <= step);
    }

    /// The lowest validation loss measured on `chars` characters.
    pub fn best(&self, chars: usize) -> Option<f64> {
        self.points
            .iter()
            .filter_map(|p| match *p {
                Point::Valid { loss, chars: c, .. } if c == chars => Some(loss),
                _ => None,
            })
            .filter(|l| l.is_finite())
            .reduce(f64::min)
    }

    /// The plot: the training loss, the validation losses on `chars`
    /// characters, and those on all `all` held-out characters.
    pub fn plot(&self, chars: usize, all: usize) -> LossPlot {
        let mut plot = LossPlot {
            valid_label: format!("validation (first {chars} held-out chars)"),
            full_label: format!("validation (all {all} held-out chars)"),
            ..LossPlot::default()
        };
        for p in &self.points {
            match *p {
                Point::Train { step, loss } => plot.train.push((step as f64, loss)),
                Point::Valid {
                    step,
                    loss,
                    chars: c,
                } if c == chars => plot.valid.push((step as f64, loss)),
                Point::Valid {
                    step,
                    loss,
                    chars: c,
                } if c == all => plot.full.push((step as f64, loss)),
                Point::Valid { .. } => {} // measured on another number of characters
            }
        }
        plot
    }
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
        let all = || {
            self.train
                .iter()
                .chain(&self.valid)
                .chain(&self.full)
                .filter(finite)
        };
        let skipped = self.train.len() + self.valid.len() + self.full.len() - all().count();
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
        let mut y_legend = TOP + 14.0;
        for (points, color, name) in [
            (&self.train, "#1f77b4", "training (smoothed)"),
            (&self.valid, "#d62728", self.valid_label.as_str()),
            (&self.full, "#2ca02c", self.full_label.as_str()),
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
            if points.len() < 30 || std::ptr::eq(points, &self.full) {
                for &(x, y) in points.iter().filter(finite) {
                    let _ = writeln!(
                        s,
                        r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"/>"##,
                        px(x),
                        py(y)
                    );
                }
            }
            let lx = W - RIGHT - 300.0;
            let _ = writeln!(
                s,
                r##"<line x1="{lx}" y1="{y_legend}" x2="{}" y2="{y_legend}" stroke="{color}" stroke-width="3"/><text x="{}" y="{}">{}</text>"##,
                lx + 24.0,
                lx + 30.0,
                y_legend + 4.0,
                escape(name)
            );
            y_legend += 18.0;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        History {
            points: vec![
                Point::Train { step: 1, loss: 4.3 },
                Point::Train {
                    step: 100,
                    loss: 4.1,
                },
                Point::Valid {
                    step: 100,
                    loss: 3.5,
                    chars: 10000,
                },
                Point::Valid {
                    step: 200,
                    loss: 3.25,
                    chars: 10000,
                },
                Point::Valid {
                    step: 200,
                    loss: 3.375,
                    chars: 53525,
                },
                Point::Train {
                    step: 300,
                    loss: f64::NAN,
                },
                Point::Valid {
                    step: 300,
                    loss: 3.0,
                    chars: 500,
                },
            ],
        }
    }

    #[test]
    fn history_reads_back_what_it_writes() {
        let h = history();
        let csv = h.to_csv();
        assert!(
            csv.contains("\nstep,train_loss,valid_loss,valid_chars\n1,4.300000,,\n"),
            "{csv}"
        );
        assert!(csv.contains("\n200,,3.375000,53525\n"), "{csv}");
        let back = History::parse(&csv).unwrap();
        assert_eq!(back.points.len(), h.points.len());
        assert_eq!(back.points[..5], h.points[..5]);
        assert_eq!(
            History::parse("step,train_loss,valid_loss,valid_chars\n5,x,,\n").unwrap_err(),
            "line 2: \"5,x,,\" is not step,train_loss,valid_loss,valid_chars"
        );
    }

    #[test]
    fn history_truncates_and_knows_the_best() {
        let mut h = history();
        assert_eq!(h.best(10000), Some(3.25));
        assert_eq!(h.best(500), Some(3.0));
        assert_eq!(h.best(7), None);
        h.truncate(100);
        assert_eq!(h.points.len(), 3);
        assert_eq!(h.best(10000), Some(3.5));
    }

    #[test]
    fn the_plot_shows_the_whole_history_and_skips_what_is_not_finite() {
        let plot = history().plot(10000, 53525);
        assert_eq!(plot.train.len(), 3);
        assert_eq!(plot.valid, [(100.0, 3.5), (200.0, 3.25)]);
        assert_eq!(plot.full, [(200.0, 3.375)]);
        let svg = plot.svg("t");
        assert!(svg.contains("1 points not shown"), "{svg}");
        assert!(
            svg.contains(">validation (first 10000 held-out chars)<"),
            "{svg}"
        );
        assert!(
            svg.contains(">validation (all 53525 held-out chars)<"),
            "{svg}"
        );
        assert!(!svg.contains("NaN"), "{svg}");
    }
}
