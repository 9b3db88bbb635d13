//! What the `train`, `sample`, `bench` and `export` examples share: reading a
//! text file with useful errors, preparing it (line ends, rare characters), a
//! tiny flag parser, the compiled model shapes, and the progress line.
#![allow(dead_code)] // each example uses its own part of this module

pub mod progress;
pub mod shards;

use std::collections::HashMap;
use std::fmt::{Debug, Display};
use std::io::Write;
use std::str::FromStr;

/// The vocabulary capacities compiled in; a text uses the smallest that fits.
pub const CAPACITIES: [usize; 3] = [96, 256, 1024];
/// The hidden sizes compiled in.
pub const HIDDEN_SIZES: [usize; 6] = [32, 64, 100, 128, 256, 512];
/// The hidden sizes compiled for the largest capacity, 1024: a model that
/// large is not for a small H, and each shape compiled costs build time.
pub const HIDDEN_SIZES_1024: [usize; 3] = [100, 256, 512];
/// The window lengths compiled in.
pub const SEQ_LENGTHS: [usize; 2] = [25, 50];

/// The hidden sizes compiled for vocabulary capacity `v`.
pub fn hidden_sizes(v: usize) -> &'static [usize] {
    if v == 1024 {
        &HIDDEN_SIZES_1024
    } else {
        &HIDDEN_SIZES
    }
}

/// Calls `$body` with `V`, `H`, `T` bound to the compiled constants matching the
/// runtime values `($v, $h, $t)`; evaluates to `$none` when none matches.
/// The shapes are `CAPACITIES` × `hidden_sizes(V)` × `SEQ_LENGTHS`.
#[macro_export]
macro_rules! with_shape {
    ($v:expr, $h:expr, $t:expr, $none:expr, |$V:ident, $H:ident, $T:ident| $body:expr) => {
        $crate::with_shape!(@v ($v, $h, $t), $none, [$V $H $T] $body, [
            (96: 32 64 100 128 256 512)
            (256: 32 64 100 128 256 512)
            (1024: 100 256 512)
        ])
    };
    (@v ($v:expr, $h:expr, $t:expr), $none:expr, [$V:ident $H:ident $T:ident] $body:expr, [$( ($vv:literal : $($hh:literal)*) )*]) => {
        match $v {
            $( $vv => $crate::with_shape!(@h ($h, $t), $none, [$V $H $T] $body, $vv, [$($hh)*]), )*
            _ => $none,
        }
    };
    (@h ($h:expr, $t:expr), $none:expr, [$V:ident $H:ident $T:ident] $body:expr, $vv:literal, [$($hh:literal)*]) => {
        match $h {
            $( $hh => $crate::with_shape!(@t ($t), $none, [$V $H $T] $body, $vv, $hh, [25 50]), )*
            _ => $none,
        }
    };
    (@t ($t:expr), $none:expr, [$V:ident $H:ident $T:ident] $body:expr, $vv:literal, $hh:literal, [$($tt:literal)*]) => {
        match $t {
            $( $tt => {
                const $V: usize = $vv;
                const $H: usize = $hh;
                const $T: usize = $tt;
                $body
            } )*
            _ => $none,
        }
    };
}

/// The number of distinct characters in `text`: one pass, a table for ASCII
/// and a set for the rest (the library, having no allocator, stops counting
/// at its capacity).
pub fn distinct_chars(text: &str) -> usize {
    let mut ascii = [false; 128];
    let mut others = std::collections::HashSet::new();
    for c in text.chars() {
        match ascii.get_mut(c as usize) {
            Some(seen) => *seen = true,
            None => {
                others.insert(c);
            }
        }
    }
    ascii.iter().filter(|&&seen| seen).count() + others.len()
}

/// The smallest compiled vocabulary capacity that holds `symbols`, or a message.
pub fn capacity_for(symbols: usize) -> Result<usize, String> {
    let largest = CAPACITIES[CAPACITIES.len() - 1];
    CAPACITIES
        .iter()
        .copied()
        .find(|&c| c >= symbols)
        .ok_or_else(|| {
            format!(
                "the text has {symbols} distinct characters, more than the largest compiled \
                 vocabulary capacity ({largest}); give --top-chars {} to keep the {} most \
                 frequent and write the others as {PLACEHOLDER:?}, or add a capacity of at \
                 least {symbols} to CAPACITIES and to with_shape! in examples/common/mod.rs",
                largest - 1,
                largest - 1,
            )
        })
}

/// Reads a UTF-8 text file, saying what went wrong in words a user can act on.
pub fn read_text(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    decode(path, bytes)
}

/// `bytes` as UTF-8 text, or why not: an empty file; a UTF-16 or UTF-32 file
/// (by its byte-order mark, or by its zero bytes); any other encoding, with
/// the offending byte's offset, line and column, and how to convert the file.
pub fn decode(path: &str, bytes: Vec<u8>) -> Result<String, String> {
    if bytes.is_empty() {
        return Err(format!("{path} is empty"));
    }
    if let Some(encoding) = wide_encoding(&bytes) {
        return Err(format!(
            "{path} is {encoding}, not UTF-8; convert it, e.g. \
             `iconv -f {} -t UTF-8 {path} > {}`",
            encoding.split_whitespace().next().unwrap_or("UTF-16"),
            converted_name(path)
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        let line_start = bytes[..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
        let before = String::from_utf8_lossy(&bytes[line_start..at]);
        let column = 1 + before.chars().count();
        let context: String = {
            let tail: Vec<char> = before.chars().rev().take(20).collect();
            tail.into_iter().rev().collect()
        };
        let after = if context.is_empty() {
            String::new()
        } else {
            format!(", after {context:?}")
        };
        format!(
            "{path} is not UTF-8 text: byte {at} (line {line}, column {column}{after}) is \
             0x{:02X}, which cannot occur there in UTF-8. Convert the file from the encoding it \
             was written in: `iconv -f ENCODING -t UTF-8 {path} > {}`, where ENCODING is, for \
             example, ISO-8859-2 (Central European), WINDOWS-1252 (Western European, from \
             Windows), ISO-8859-1, KOI8-R, SHIFT_JIS or GB18030; `iconv -l` lists them all",
            bytes[at],
            converted_name(path)
        )
    })
}

/// `notes.txt` -> `notes.utf8.txt`: a name for a converted copy.
fn converted_name(path: &str) -> String {
    let p = std::path::Path::new(path);
    match (p.file_stem(), p.extension()) {
        (Some(stem), Some(ext)) => p
            .with_file_name(format!(
                "{}.utf8.{}",
                stem.to_string_lossy(),
                ext.to_string_lossy()
            ))
            .display()
            .to_string(),
        _ => format!("{path}.utf8"),
    }
}

/// "UTF-16 (little-endian, ...)" and the like when `bytes` is UTF-16 or
/// UTF-32 by its byte-order mark, or looks like UTF-16 without one (every
/// other byte zero, as in mostly-ASCII UTF-16, which is valid UTF-8 full of
/// NULs).
fn wide_encoding(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xFE, 0, 0, ..] => {
            return Some("UTF-32 (little-endian: it starts with the byte-order mark FF FE 00 00)");
        }
        [0, 0, 0xFE, 0xFF, ..] => {
            return Some("UTF-32 (big-endian: it starts with the byte-order mark 00 00 FE FF)");
        }
        [0xFF, 0xFE, ..] => {
            return Some("UTF-16 (little-endian: it starts with the byte-order mark FF FE)");
        }
        [0xFE, 0xFF, ..] => {
            return Some("UTF-16 (big-endian: it starts with the byte-order mark FE FF)");
        }
        _ => {}
    }
    let head = &bytes[..bytes.len().min(1 << 16)];
    if head.len() < 8 {
        return None;
    }
    let zeros = |parity: usize| {
        head.iter()
            .skip(parity)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let half = head.len() / 2;
    let (even, odd) = (zeros(0), zeros(1));
    if odd * 10 >= half * 4 && even * 20 <= half {
        Some("UTF-16LE (it has no byte-order mark, but every other byte is zero)")
    } else if even * 10 >= half * 4 && odd * 20 <= half {
        Some("UTF-16BE (it has no byte-order mark, but every other byte is zero)")
    } else {
        None
    }
}

/// The character written in place of those `--top-chars` leaves out.
pub const PLACEHOLDER: char = '\u{FFFD}';

/// A UTF-8 byte-order mark and CRLF line ends in a text: how many, and how
/// many vocabulary symbols they alone add.
#[derive(Debug, PartialEq)]
pub struct LineEnds {
    /// The text starts with U+FEFF.
    pub bom: bool,
    /// The number of "\r\n" pairs.
    pub crlf: usize,
    /// The symbols that would leave the vocabulary with them (U+FEFF if it
    /// occurs only at the start, '\r' if it occurs only before '\n').
    pub symbols: usize,
}

impl LineEnds {
    /// Counts them in `text`.
    pub fn of(text: &str) -> Self {
        let bom = text.starts_with('\u{FEFF}');
        let boms = text.matches('\u{FEFF}').count();
        let crs = text.bytes().filter(|&b| b == b'\r').count();
        let crlf = text.matches("\r\n").count();
        LineEnds {
            bom,
            crlf,
            symbols: usize::from(bom && boms == 1) + usize::from(crlf > 0 && crlf == crs),
        }
    }

    /// What a user should know, or `None` for a text with neither.
    pub fn note(&self, normalized: bool) -> Option<String> {
        if !self.bom && self.crlf == 0 {
            return None;
        }
        let (mut what, mut fix, mut done) = (Vec::new(), Vec::new(), Vec::new());
        if self.bom {
            what.push("starts with a UTF-8 byte-order mark (U+FEFF)".to_string());
            fix.push("removes the mark");
            done.push("removed the byte-order mark".to_string());
        }
        if self.crlf > 0 {
            let s = if self.crlf == 1 { "" } else { "s" };
            what.push(format!("has {} CRLF line end{s}", self.crlf));
            fix.push("ends lines with \\n alone");
            done.push(format!("made {} CRLF line end{s} \\n", self.crlf));
        }
        let (symbols, come) = match self.symbols {
            1 => ("1 symbol".to_string(), "comes"),
            n => (format!("{n} symbols"), "come"),
        };
        Some(if normalized {
            format!("--normalize: {} ({symbols} fewer)", done.join(" and "))
        } else {
            format!(
                "note: the text {}: {symbols} of the vocabulary {come} from them; --normalize {}",
                what.join(" and "),
                fix.join(" and ")
            )
        })
    }
}

/// `text` without a leading byte-order mark and with "\r\n" made "\n".
pub fn normalize(text: &str) -> String {
    text.strip_prefix('\u{FEFF}')
        .unwrap_or(text)
        .replace("\r\n", "\n")
}

/// The `n` most frequent characters of `text` (ties: the smaller character
/// first), or `None` if it has no more than `n` distinct ones.
pub fn most_frequent(text: &str, n: usize) -> Option<Vec<char>> {
    let mut counts: HashMap<char, u64> = HashMap::new();
    for c in text.chars() {
        *counts.entry(c).or_default() += 1;
    }
    if counts.len() <= n {
        return None;
    }
    let mut by_count: Vec<(char, u64)> = counts.into_iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut keep: Vec<char> = by_count[..n].iter().map(|&(c, _)| c).collect();
    keep.sort_unstable();
    Some(keep)
}

/// `text` with every character for which `keep` is false written as
/// [`PLACEHOLDER`], and how many were.
pub fn replace_others(text: &str, keep: impl Fn(char) -> bool) -> (String, usize) {
    let mut replaced = 0;
    let out = text
        .chars()
        .map(|c| {
            if keep(c) {
                c
            } else {
                replaced += 1;
                PLACEHOLDER
            }
        })
        .collect();
    (out, replaced)
}

/// What a flag parser found: arguments, or a request for help or the version.
pub enum Parsed {
    /// Positionals and flags.
    Args(Args),
    /// `-h` or `--help`.
    Help,
    /// `-V` or `--version`.
    Version,
}

/// Command-line arguments: positionals and `--flag value` (or
/// `--flag=value`) pairs, checked by name; `--` ends the options.
pub struct Args {
    program: &'static str,
    usage: &'static str,
    positional: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

/// "train (min-char-rnn 0.1.0)".
pub fn version(program: &str) -> String {
    format!("{program} (min-char-rnn {})", env!("CARGO_PKG_VERSION"))
}

impl Args {
    /// Splits `std::env::args()`; `switches` are the flags that take no
    /// value. Prints the usage for `-h`/`--help` and the version for
    /// `-V`/`--version` and exits 0; exits 2 with a message for a bad command line.
    pub fn parse(
        program: &'static str,
        usage: &'static str,
        known: &[&str],
        switches: &[&str],
    ) -> Self {
        match Self::parse_from(program, usage, known, switches, std::env::args().skip(1)) {
            Ok(Parsed::Args(args)) => args,
            Ok(Parsed::Help) => {
                // `train -h | head`: a reader that stops early is no error.
                let _ = writeln!(std::io::stdout(), "{usage}");
                std::process::exit(0)
            }
            Ok(Parsed::Version) => {
                let _ = writeln!(std::io::stdout(), "{}", version(program));
                std::process::exit(0)
            }
            Err(e) => usage_error(program, usage, e),
        }
    }

    /// As [`Args::parse`], from any list of arguments, without printing or exiting.
    pub fn parse_from(
        program: &'static str,
        usage: &'static str,
        known: &[&str],
        switches: &[&str],
        argv: impl IntoIterator<Item = String>,
    ) -> Result<Parsed, String> {
        let mut args = Args {
            program,
            usage,
            positional: Vec::new(),
            flags: Vec::new(),
        };
        let mut it = argv.into_iter();
        while let Some(a) = it.next() {
            match a.as_str() {
                "-h" | "--help" => return Ok(Parsed::Help),
                "-V" | "--version" => return Ok(Parsed::Version),
                "--" => {
                    args.positional.extend(it.by_ref());
                    break;
                }
                _ => {}
            }
            if let Some(flag) = a.strip_prefix("--") {
                let (name, inline) = match flag.split_once('=') {
                    Some((name, value)) => (name, Some(value.to_string())),
                    None => (flag, None),
                };
                if switches.contains(&name) {
                    if inline.is_some() {
                        return Err(format!("--{name} takes no value"));
                    }
                    args.flags.push((name.to_string(), None));
                } else if known.contains(&name) {
                    let value = match inline {
                        Some(v) => v,
                        None => match it.next() {
                            Some(v) if is_option(&v, known, switches) => {
                                return Err(format!(
                                    "--{name} needs a value (got the option {v}; write \
                                     --{name}={v} if that is the value)"
                                ));
                            }
                            Some(v) => v,
                            None => return Err(format!("--{name} needs a value")),
                        },
                    };
                    args.flags.push((name.to_string(), Some(value)));
                } else {
                    return Err(unknown(&format!("--{name}"), known, switches));
                }
            } else if a.starts_with('-') && a.len() > 1 && a.parse::<f64>().is_err() {
                return Err(unknown(&a, known, switches));
            } else {
                args.positional.push(a);
            }
        }
        Ok(Parsed::Args(args))
    }

    /// The positional arguments.
    pub fn positional(&self) -> &[String] {
        &self.positional
    }

    /// Whether the switch `--name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| n == name)
    }

    /// The value of `--name` parsed as `T`, if given (the last one wins).
    pub fn get<T: FromStr>(&self, name: &str) -> Result<Option<T>, String>
    where
        T::Err: Display,
    {
        match self.flags.iter().rev().find(|(n, _)| n == name) {
            Some((_, Some(v))) => v
                .parse()
                .map(Some)
                .map_err(|e| format!("--{name} {v:?}: {e}")),
            _ => Ok(None),
        }
    }

    /// [`usage_error`] for this program.
    pub fn fail(&self, message: impl Display) -> ! {
        usage_error(self.program, self.usage, message)
    }
}

/// Prints `message` and the usage line (not the whole help, which would
/// scroll the error out of a small terminal), and exits with status 2.
fn usage_error(program: &str, usage: &str, message: impl Display) -> ! {
    let usage = usage.lines().next().unwrap_or_default();
    eprintln!("{program}: error: {message}\n{usage}\n(--help lists every option)");
    std::process::exit(2);
}

/// Whether `arg` is one of the options (`--name`, `--name=…`, `-h`, `-V`).
fn is_option(arg: &str, known: &[&str], switches: &[&str]) -> bool {
    let name = arg
        .strip_prefix("--")
        .map(|f| f.split('=').next().unwrap_or(f));
    matches!(arg, "-h" | "-V" | "--help" | "--version")
        || name.is_some_and(|n| known.contains(&n) || switches.contains(&n))
}

/// "unknown option --step (did you mean --steps?)".
fn unknown(arg: &str, known: &[&str], switches: &[&str]) -> String {
    let name = arg.trim_start_matches('-');
    let close = known
        .iter()
        .chain(switches)
        .map(|k| (edit_distance(name, k), *k))
        .filter(|&(d, _)| d <= 2 && d * 3 <= name.chars().count())
        .min();
    match close {
        Some((_, k)) => format!("unknown option {arg} (did you mean --{k}?)"),
        None => format!("unknown option {arg}"),
    }
}

/// Levenshtein distance, for suggesting a flag.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (prev + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Checks that a number given on the command line lies in a range.
pub fn check_range<T: PartialOrd + Debug + Copy>(
    name: &str,
    value: T,
    ok: impl Fn(T) -> bool,
    rule: &str,
) -> Result<T, String> {
    if ok(value) {
        Ok(value)
    } else {
        // Debug, not Display: 1e39 rather than its forty digits.
        Err(format!("--{name} {value:?}: {rule}"))
    }
}

/// The model types that [`zeroed`] may build: each is floats, integers,
/// `bool`s and arrays of them (no references or enums), and its `ZERO` is
/// all zero bytes (`false` for a `bool`).
pub trait AllZero {}
impl<F: min_char_rnn::Float, const V: usize, const H: usize> AllZero
    for min_char_rnn::Params<F, V, H>
{
}
impl<F: min_char_rnn::Float, const V: usize, const H: usize, const T: usize> AllZero
    for min_char_rnn::Trainer<F, V, H, T>
{
}
impl<F: min_char_rnn::Float, const V: usize, const H: usize, const T: usize> AllZero
    for min_char_rnn::engine::Workspace<F, V, H, T>
{
}
impl<F: min_char_rnn::Float, const V: usize, const H: usize, const T: usize, const B: usize> AllZero
    for min_char_rnn::BatchTrainer<F, V, H, T, B>
{
}

/// `Box::new(T::ZERO)`, built in place on the heap. `Box::new` builds its
/// value on the stack first in a debug build, and a `Trainer<f32, 1024, 512,
/// 50>` is 15 MB, more than a main thread's 8 MB stack; this never touches
/// the stack, so the examples run on the default stack.
pub fn zeroed<T: AllZero>() -> Box<T> {
    let layout = std::alloc::Layout::new::<T>();
    assert!(layout.size() > 0, "a model of zero bytes"); // never a compiled shape
    // SAFETY: the layout has a non-zero size, as `alloc_zeroed` requires.
    let ptr = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<T>();
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `ptr` is a fresh allocation of `T`'s layout by the global
    // allocator, as `Box::from_raw` requires, and it holds a valid `T`:
    // `AllZero` types are plain floats and integers (in structs and arrays),
    // for which all zero bytes is a valid value (their `ZERO`).
    unsafe { Box::from_raw(ptr) }
}

/// Seconds as "1h02m03s", "2m03s" or "3.4s".
pub fn duration(s: f64) -> String {
    let t = s.max(0.0).round() as u64;
    if t >= 3600 {
        format!("{}h{:02}m{:02}s", t / 3600, t / 60 % 60, t % 60)
    } else if t >= 60 {
        format!("{}m{:02}s", t / 60, t % 60)
    } else {
        format!("{:.1}s", s.max(0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(argv: &[&str]) -> Result<Parsed, String> {
        Args::parse_from(
            "t",
            "usage",
            &["steps", "lr", "prime"],
            &["force"],
            argv.iter().map(|s| s.to_string()),
        )
    }

    fn args(argv: &[&str]) -> Args {
        match parse(argv) {
            Ok(Parsed::Args(a)) => a,
            Ok(_) => panic!("help or version for {argv:?}"),
            Err(e) => panic!("{argv:?}: {e}"),
        }
    }

    #[test]
    fn flags_take_values_with_a_space_or_an_equals_sign() {
        let a = args(&[
            "text.txt",
            "--steps=30",
            "--lr",
            "0.05",
            "--prime=a=b",
            "--force",
        ]);
        assert_eq!(a.positional(), ["text.txt"]);
        assert_eq!(a.get::<u64>("steps"), Ok(Some(30)));
        assert_eq!(a.get::<f64>("lr"), Ok(Some(0.05)));
        assert_eq!(a.get::<String>("prime"), Ok(Some("a=b".into())));
        assert!(a.has("force"));
        let a = args(&["--prime=", "--", "--steps"]);
        assert_eq!(a.get::<String>("prime"), Ok(Some(String::new())));
        assert_eq!(a.positional(), ["--steps"]); // after --, a file name
        assert_eq!(args(&["--lr", "-1"]).get::<f64>("lr"), Ok(Some(-1.0)));
    }

    #[test]
    fn help_and_version_short_and_long() {
        for h in ["-h", "--help"] {
            assert!(matches!(parse(&["x", h, "--bogus"]), Ok(Parsed::Help)));
        }
        for v in ["-V", "--version"] {
            assert!(matches!(parse(&[v]), Ok(Parsed::Version)));
        }
        assert_eq!(
            version("train"),
            format!("train (min-char-rnn {})", env!("CARGO_PKG_VERSION"))
        );
    }

    #[test]
    fn bad_command_lines_are_explained() {
        let err = |argv: &[&str]| parse(argv).err().expect("an error");
        assert_eq!(
            err(&["--step", "3"]),
            "unknown option --step (did you mean --steps?)"
        );
        assert_eq!(err(&["--frobnicate"]), "unknown option --frobnicate");
        assert_eq!(err(&["-x"]), "unknown option -x");
        assert_eq!(err(&["--force=yes"]), "--force takes no value");
        assert_eq!(err(&["--steps"]), "--steps needs a value");
        assert_eq!(
            err(&["--prime", "--force"]),
            "--prime needs a value (got the option --force; write --prime=--force if that is \
             the value)"
        );
    }

    #[test]
    fn utf16_and_utf32_are_named_by_their_byte_order_marks() {
        let msg = |bytes: &[u8]| decode("t.txt", bytes.to_vec()).unwrap_err();
        let le = msg(&[0xFF, 0xFE, b'h', 0, b'i', 0]);
        assert!(
            le.starts_with(
                "t.txt is UTF-16 (little-endian: it starts with the byte-order mark FF FE)"
            ),
            "{le}"
        );
        assert!(
            le.contains("`iconv -f UTF-16 -t UTF-8 t.txt > t.utf8.txt`"),
            "{le}"
        );
        let be = msg(&[0xFE, 0xFF, 0, b'h', 0, b'i']);
        assert!(be.contains("UTF-16 (big-endian"), "{be}");
        assert!(msg(&[0xFF, 0xFE, 0, 0, b'h', 0, 0, 0]).contains("UTF-32 (little-endian"));
        // No mark, but mostly ASCII: valid UTF-8 full of NULs, refused all the same.
        let bare: Vec<u8> = "hello, world".bytes().flat_map(|b| [b, 0]).collect();
        assert!(msg(&bare).starts_with("t.txt is UTF-16LE (it has no byte-order mark"));
        let bare: Vec<u8> = "hello, world".bytes().flat_map(|b| [0, b]).collect();
        assert!(msg(&bare).contains("iconv -f UTF-16BE -t UTF-8"));
    }

    #[test]
    fn other_encodings_are_located_and_left_to_the_user() {
        // "Győr" in ISO-8859-2: ő is 0xF5, never valid in UTF-8.
        let text = b"line one\nGy\xF5r\n".to_vec();
        let e = decode("hu.txt", text).unwrap_err();
        assert!(
            e.starts_with(
                "hu.txt is not UTF-8 text: byte 11 (line 2, column 3, after \"Gy\") is 0xF5, \
                 which cannot occur there in UTF-8."
            ),
            "{e}"
        );
        assert!(
            e.contains("`iconv -f ENCODING -t UTF-8 hu.txt > hu.utf8.txt`"),
            "{e}"
        );
        assert!(!e.contains("latin1"), "{e}");
        assert_eq!(decode("e.txt", Vec::new()).unwrap_err(), "e.txt is empty");
        assert_eq!(decode("ok.txt", "héllo".into()).unwrap(), "héllo");
    }

    #[test]
    fn byte_order_marks_and_crlf_are_counted_and_removed() {
        let text = "\u{FEFF}a\r\nb\r\n";
        let ends = LineEnds::of(text);
        assert_eq!(
            ends,
            LineEnds {
                bom: true,
                crlf: 2,
                symbols: 2
            }
        );
        assert_eq!(
            ends.note(false).unwrap(),
            "note: the text starts with a UTF-8 byte-order mark (U+FEFF) and has 2 CRLF line \
             ends: 2 symbols of the vocabulary come from them; --normalize removes the mark and \
             ends lines with \\n alone"
        );
        assert_eq!(
            ends.note(true).unwrap(),
            "--normalize: removed the byte-order mark and made 2 CRLF line ends \\n (2 symbols \
             fewer)"
        );
        assert_eq!(
            LineEnds::of("a\r\n").note(false).unwrap(),
            "note: the text has 1 CRLF line end: 1 symbol of the vocabulary comes from them; \
             --normalize ends lines with \\n alone"
        );
        assert_eq!(normalize(text), "a\nb\n");
        assert_eq!(
            distinct_chars(text) - distinct_chars(&normalize(text)),
            ends.symbols
        );
        // A lone '\r' stays a symbol after normalising: CRLF adds none.
        assert_eq!(LineEnds::of("a\rb\r\n").symbols, 0);
        assert_eq!(LineEnds::of("plain\n").note(false), None);
    }

    #[test]
    fn top_chars_keeps_the_most_frequent_and_replaces_the_rest() {
        let keep = most_frequent("aaabbc d", 2).unwrap();
        assert_eq!(keep, ['a', 'b']);
        let (text, n) = replace_others("aaabbc d", |c| keep.binary_search(&c).is_ok());
        assert_eq!((text.as_str(), n), ("aaabb\u{FFFD}\u{FFFD}\u{FFFD}", 3));
        assert_eq!(most_frequent("abc", 3), None);
        // Ties: the smaller character first.
        assert_eq!(most_frequent("ba", 1).unwrap(), ['a']);
    }

    #[test]
    fn capacities_and_their_message() {
        assert_eq!(capacity_for(76), Ok(96));
        assert_eq!(capacity_for(97), Ok(256));
        assert_eq!(capacity_for(410), Ok(1024));
        let e = capacity_for(5000).unwrap_err();
        assert!(e.contains("give --top-chars 1023"), "{e}");
    }

    #[test]
    fn with_shape_compiles_what_the_constants_say() {
        for &v in &CAPACITIES {
            for &h in &HIDDEN_SIZES {
                for &t in &SEQ_LENGTHS {
                    let got = with_shape!(v, h, t, None, |V, H, T| Some((V, H, T)));
                    assert_eq!(got.is_some(), hidden_sizes(v).contains(&h), "{v} {h} {t}");
                }
            }
        }
        assert_eq!(
            with_shape!(97, 100, 25, None, |V, H, T| Some((V, H, T))),
            None
        );
    }
}
