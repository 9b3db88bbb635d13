//! What the `train`, `sample` and `bench` examples share: reading a text file
//! with useful errors, a tiny flag parser, and the compiled model shapes.
#![allow(dead_code)] // each example uses its own part of this module

use std::fmt::Display;
use std::str::FromStr;

/// The vocabulary capacities compiled in; a text uses the smallest that fits.
pub const CAPACITIES: [usize; 2] = [96, 256];
/// The hidden sizes compiled in.
pub const HIDDEN_SIZES: [usize; 6] = [32, 64, 100, 128, 256, 512];
/// The window lengths compiled in.
pub const SEQ_LENGTHS: [usize; 2] = [25, 50];

/// Calls `$body` with `V`, `H`, `T` bound to the compiled constants matching the
/// runtime values `($v, $h, $t)`; evaluates to `$none` when none matches.
#[macro_export]
macro_rules! with_shape {
    ($v:expr, $h:expr, $t:expr, $none:expr, |$V:ident, $H:ident, $T:ident| $body:expr) => {
        $crate::with_shape!(@v ($v, $h, $t), $none, [$V $H $T] $body, [96 256])
    };
    (@v ($v:expr, $h:expr, $t:expr), $none:expr, [$V:ident $H:ident $T:ident] $body:expr, [$($vv:literal)*]) => {
        match $v {
            $( $vv => $crate::with_shape!(@h ($h, $t), $none, [$V $H $T] $body, $vv, [32 64 100 128 256 512]), )*
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

/// The number of distinct characters in `text`: one pass and a set (the
/// library, having no allocator, stops counting at its capacity).
pub fn distinct_chars(text: &str) -> usize {
    text.chars()
        .collect::<std::collections::HashSet<char>>()
        .len()
}

/// The smallest compiled vocabulary capacity that holds `symbols`, or a message.
pub fn capacity_for(symbols: usize) -> Result<usize, String> {
    CAPACITIES
        .iter()
        .copied()
        .find(|&c| c >= symbols)
        .ok_or_else(|| {
            format!(
                "the text has {symbols} distinct characters, more than the largest compiled \
                 vocabulary capacity ({}); add a capacity of at least {symbols} to CAPACITIES \
                 and to with_shape! in examples/common/mod.rs",
                CAPACITIES[CAPACITIES.len() - 1]
            )
        })
}

/// Reads a UTF-8 text file, saying what went wrong in words a user can act on.
pub fn read_text(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    match String::from_utf8(bytes) {
        Ok(text) if text.is_empty() => Err(format!("{path} is empty")),
        Ok(text) => Ok(text),
        Err(e) => {
            let bytes = e.as_bytes();
            let at = e.utf8_error().valid_up_to();
            let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
            let line_start = bytes[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let column = 1 + String::from_utf8_lossy(&bytes[line_start..at])
                .chars()
                .count();
            Err(format!(
                "{path} is not UTF-8 text: byte {at} (line {line}, column {column}) is 0x{:02X}, \
                 which cannot occur there in UTF-8; convert the file, e.g. \
                 `iconv -f latin1 -t utf-8`",
                bytes[at]
            ))
        }
    }
}

/// Command-line arguments: positionals and `--flag value` pairs, checked by name.
pub struct Args {
    program: &'static str,
    usage: &'static str,
    positional: Vec<String>,
    flags: Vec<(String, Option<String>)>,
}

impl Args {
    /// Splits `std::env::args()`; `switches` are the flags that take no value.
    pub fn parse(
        program: &'static str,
        usage: &'static str,
        known: &[&str],
        switches: &[&str],
    ) -> Result<Self, String> {
        let mut args = Args {
            program,
            usage,
            positional: Vec::new(),
            flags: Vec::new(),
        };
        let mut it = std::env::args().skip(1);
        while let Some(a) = it.next() {
            if a == "-h" || a == "--help" {
                println!("{usage}");
                std::process::exit(0);
            }
            if let Some(name) = a.strip_prefix("--") {
                if switches.contains(&name) {
                    args.flags.push((name.to_string(), None));
                } else if known.contains(&name) {
                    let v = it.next().ok_or(format!("--{name} needs a value"))?;
                    args.flags.push((name.to_string(), Some(v)));
                } else {
                    return Err(format!("unknown option --{name}"));
                }
            } else if a.starts_with('-') && a.len() > 1 && a.parse::<f64>().is_err() {
                return Err(format!("unknown option {a}"));
            } else {
                args.positional.push(a);
            }
        }
        Ok(args)
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

    /// Prints `error: message`, the usage, and exits with status 2.
    pub fn fail(&self, message: impl Display) -> ! {
        eprintln!("{}: error: {message}\n\n{}", self.program, self.usage);
        std::process::exit(2);
    }
}

/// Checks that a number given on the command line lies in a range.
pub fn check_range<T: PartialOrd + Display + Copy>(
    name: &str,
    value: T,
    ok: impl Fn(T) -> bool,
    rule: &str,
) -> Result<T, String> {
    if ok(value) {
        Ok(value)
    } else {
        Err(format!("--{name} {value}: {rule}"))
    }
}

/// The model types that [`zeroed`] may build: each is floats, integers and
/// arrays of them (no references, enums or `bool`s), and its `ZERO` is all
/// zero bytes.
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

/// `Box::new(T::ZERO)`, built in place on the heap. `Box::new` builds its
/// value on the stack first in a debug build, and a `Trainer<f32, 256, 512,
/// 50>` is 4.6 MB, more than a main thread's 8 MB stack can spare twice; this
/// never touches the stack, so the examples run on the default stack.
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
        format!("{s:.1}s")
    }
}
