//! A status line that fits the terminal: fields, each with a long and a
//! short form and a rank; the least important are shortened, then dropped,
//! until the line fits in one row, so that `\r` can always redraw it.

use std::time::{Duration, Instant};

/// One field of a status line.
pub struct Field {
    /// The text shown when there is room.
    pub long: String,
    /// A shorter text, tried before the field is dropped.
    pub short: Option<String>,
    /// How much it matters: the lowest is shortened first, then dropped first.
    pub rank: u8,
}

impl Field {
    /// A field with a long and a short form.
    pub fn new(rank: u8, long: impl Into<String>, short: impl Into<String>) -> Self {
        Field {
            long: long.into(),
            short: Some(short.into()),
            rank,
        }
    }

    /// A field with one form.
    pub fn only(rank: u8, text: impl Into<String>) -> Self {
        Field {
            long: text.into(),
            short: None,
            rank,
        }
    }
}

const SEP: &str = "  ";

/// The line of `fields`, in their order, that fits in `width` columns
/// without touching the last one (where some terminals wrap at once). The
/// fields are taken from the lowest rank up, each shortened and, if that is
/// not enough, dropped, until the line fits; if even the top field does not,
/// it is cut.
pub fn fit(fields: &[Field], width: usize) -> String {
    let room = width.saturating_sub(1);
    // For each field: None if dropped, else Some(use the short form).
    let mut state: Vec<Option<bool>> = vec![Some(false); fields.len()];
    let line = |state: &[Option<bool>]| -> String {
        let parts: Vec<&str> = fields
            .iter()
            .zip(state)
            .filter_map(|(f, s)| match s {
                Some(true) => f.short.as_deref().or(Some(&f.long)),
                Some(false) => Some(&f.long),
                None => None,
            })
            .collect();
        parts.join(SEP)
    };
    let mut order: Vec<usize> = (0..fields.len()).collect();
    order.sort_by_key(|&i| (fields[i].rank, std::cmp::Reverse(i)));
    let fits = |s: &str| s.chars().count() <= room;
    // From the lowest rank up: shorten the field, and if that is not enough,
    // drop it; the top field is only ever shortened (and at last cut).
    for (k, &i) in order.iter().enumerate() {
        if fits(&line(&state)) {
            break;
        }
        if fields[i].short.is_some() {
            state[i] = Some(true);
            if fits(&line(&state)) {
                break;
            }
        }
        if k + 1 < order.len() {
            state[i] = None;
        }
    }
    line(&state).chars().take(room).collect()
}

/// The terminal's width in columns: `$COLUMNS` if set, else what `stty
/// size` says of the controlling terminal, else `None`.
pub fn terminal_width() -> Option<usize> {
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
    {
        return Some(n);
    }
    let tty = std::fs::File::open("/dev/tty").ok()?;
    let out = std::process::Command::new("stty")
        .arg("size")
        .stdin(tty)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    text.split_whitespace()
        .nth(1)?
        .parse()
        .ok()
        .filter(|&n: &usize| n > 0)
}

/// Redraws a status line on a terminal at most ten times a second, asking
/// the terminal's width again every two seconds (a window may be resized).
pub struct Status {
    width: usize,
    width_asked: Instant,
    drawn: Option<Instant>,
    /// Whether a line is on the screen, not yet ended by a newline.
    pub showing: bool,
}

impl Default for Status {
    fn default() -> Self {
        Self::new()
    }
}

impl Status {
    /// The width falls back to 80 columns when it cannot be found.
    pub fn new() -> Self {
        Status {
            width: terminal_width().unwrap_or(80),
            width_asked: Instant::now(),
            drawn: None,
            showing: false,
        }
    }

    /// Whether it is time to draw again (a tenth of a second since the last).
    pub fn due(&self) -> bool {
        self.drawn
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(100))
    }

    /// The terminal's width, asked again if the answer is two seconds old.
    pub fn width(&mut self) -> usize {
        if self.width_asked.elapsed() >= Duration::from_secs(2) {
            self.width = terminal_width().unwrap_or(self.width);
            self.width_asked = Instant::now();
        }
        self.width
    }

    /// The line to write (carriage return, erase the row, the fitted fields).
    pub fn line(&mut self, fields: &[Field]) -> String {
        let width = self.width();
        self.drawn = Some(Instant::now());
        self.showing = true;
        format!("\r\x1b[2K{}", fit(fields, width))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<Field> {
        vec![
            Field::only(9, "step 123456"),
            Field::only(2, "chars 3086400"),
            Field::new(8, "loss 2.1570/char", "loss 2.157"),
            Field::only(1, "(53.92/window)"),
            Field::new(6, "118204 chars/s", "118k c/s"),
            Field::new(3, "elapsed 1m02s", "1m02s"),
            Field::new(7, "ETA 3m10s", "ETA 3m10s"),
        ]
    }

    #[test]
    fn a_wide_terminal_shows_everything() {
        let line = fit(&fields(), 200);
        assert_eq!(
            line,
            "step 123456  chars 3086400  loss 2.1570/char  (53.92/window)  118204 chars/s  \
             elapsed 1m02s  ETA 3m10s"
        );
    }

    #[test]
    fn every_width_gives_one_row_with_the_most_important_fields() {
        for width in 0..200 {
            let line = fit(&fields(), width);
            assert!(line.chars().count() < width.max(1), "{width}: {line:?}");
            if width > 12 {
                assert!(line.starts_with("step 123456"), "{width}: {line:?}");
            }
        }
        assert_eq!(
            fit(&fields(), 80),
            "step 123456  loss 2.1570/char  118204 chars/s  elapsed 1m02s  ETA 3m10s"
        );
        assert_eq!(
            fit(&fields(), 60),
            "step 123456  loss 2.1570/char  118204 chars/s  ETA 3m10s"
        );
        assert_eq!(fit(&fields(), 40), "step 123456  loss 2.1570/char");
        assert_eq!(fit(&fields(), 25), "step 123456  loss 2.157");
        assert_eq!(fit(&fields(), 8), "step 12");
    }

    #[test]
    fn counts_characters_not_bytes() {
        let f = [Field::only(1, "é".repeat(10)), Field::only(0, "ü")];
        assert_eq!(fit(&f, 12), "éééééééééé");
        assert_eq!(fit(&f, 14), "éééééééééé  ü");
    }
}
