//! min-char-rnn in the browser: the library, unchanged, compiled to
//! `wasm32-unknown-unknown`, behind a handful of `extern "C"` functions that
//! the book's page ("Train it here") calls from a Web Worker.
//!
//! Why plain exports and no `wasm-bindgen`: the interface is a few numbers
//! and a few byte buffers, which JavaScript reads straight from the module's
//! memory; plain exports need no code generator whose version must match a
//! crate's, no bundler and no dependency, and the page stays a short script.
//!
//! The calling convention: JavaScript asks for a buffer ([`input_buffer`]),
//! writes UTF-8 into it, then calls [`start`], [`train`], [`sample`] or
//! [`inspect`]. Each returns 0 on success or −1 on error, with the library's
//! own message in [`message_ptr`]/[`message_len`]; results are read from
//! [`output_ptr`]/[`output_len`] (text) and the `f32` arrays of [`inspect`].
//!
//! The same code compiles natively (`cargo run --bin selftest`), which is how
//! CI checks that the page computes the same numbers as a PC.

use std::fmt::Write as _;
use std::sync::Mutex;

use min_char_rnn::forward::{hidden_forward, logits_forward, probs_forward};
use min_char_rnn::{Error, Params, Pick, Rng, Sampler, Text, Trainer, Vocab};

/// The vocabulary capacities compiled in; a text gets the smallest that fits.
pub const CAPACITIES: [usize; 2] = [16, 128];
/// The hidden sizes compiled in.
pub const HIDDEN_SIZES: [usize; 3] = [32, 64, 100];
/// The window lengths (`seq_length`) compiled in.
pub const SEQ_LENGTHS: [usize; 3] = [4, 16, 25];
/// The longest text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 4 << 20;
/// How many characters [`Session::inspect`] looks at, at most.
pub const MAX_INSPECT: usize = 400;

/// A model being trained on one text, whatever its compiled shape.
pub trait Session: Send {
    /// Runs `steps` training steps (the engine's `Trainer::step`).
    fn train(&mut self, steps: u32) -> Result<(), Error>;
    /// Steps taken so far.
    fn steps(&self) -> u64;
    /// The smoothed loss, per character.
    fn smooth_loss(&self) -> f64;
    /// The loss of each of the first steps (per window), as computed.
    fn first_losses(&self) -> &[f32];
    /// `n` characters continuing `prime` from h = 0, at `temperature` (0:
    /// always the most likely character).
    fn sample(&mut self, prime: &str, n: usize, temperature: f64) -> Result<String, Error>;
    /// The forward pass over the next `n` characters of the text from where
    /// training stands, from its carried state `hprev`: returns the
    /// characters, and fills `hs` (n × H activations) and `ps` (n ×
    /// vocabulary size probabilities of the character after each one).
    fn inspect(&self, n: usize, hs: &mut Vec<f32>, ps: &mut Vec<f32>) -> Result<String, Error>;
    /// The vocabulary, in index order.
    fn symbols(&self) -> String;
    /// H.
    fn hidden_size(&self) -> usize;
}

/// One compiled shape: V = capacity, H = hidden size, T = `seq_length`.
struct Model<const V: usize, const H: usize, const T: usize> {
    text: String,
    /// The text's length in characters.
    chars: usize,
    vocab: Vocab<V>,
    params: Box<Params<f32, V, H>>,
    trainer: Box<Trainer<f32, V, H, T>>,
    rng: Rng,
    first_losses: Vec<f32>,
}

/// How many first-step losses a session keeps (for the check against native).
const FIRST_LOSSES: usize = 5;

impl<const V: usize, const H: usize, const T: usize> Model<V, H, T> {
    fn new(text: String, seed: u64, learning_rate: f64) -> Result<Self, Error> {
        let vocab = Vocab::<V>::from_text(&text)?;
        let checked = Text::new(&vocab, &text)?;
        checked.check_window_fits::<T>()?;
        let chars = checked.len();
        let mut rng = Rng::new(seed);
        let mut params = Box::new(Params::ZERO);
        params.init_for(vocab.len(), &mut rng)?;
        let mut trainer = Box::new(Trainer::ZERO);
        trainer.adagrad.set_learning_rate(learning_rate)?;
        Ok(Model {
            text,
            chars,
            vocab,
            params,
            trainer,
            rng,
            first_losses: Vec::new(),
        })
    }
}

/// A text long enough for one window of `T` steps, checked before training.
trait WindowFits {
    fn check_window_fits<const T: usize>(&self) -> Result<(), Error>;
}

impl<const V: usize> WindowFits for Text<'_, V> {
    fn check_window_fits<const T: usize>(&self) -> Result<(), Error> {
        let (mut xs, mut ys) = ([0; T], [0; T]);
        match self.window::<T>(0, &mut xs, &mut ys) {
            Some(_) => Ok(()),
            None => Err(Error::TextTooShort {
                chars: self.len(),
                needed: T + 1,
            }),
        }
    }
}

impl<const V: usize, const H: usize, const T: usize> Session for Model<V, H, T> {
    fn train(&mut self, steps: u32) -> Result<(), Error> {
        let text = Text::new(&self.vocab, &self.text)?;
        for _ in 0..steps {
            let loss = self.trainer.step(&mut self.params, &text)?;
            if self.first_losses.len() < FIRST_LOSSES {
                self.first_losses.push(loss);
            }
        }
        Ok(())
    }

    fn steps(&self) -> u64 {
        self.trainer.steps
    }

    fn smooth_loss(&self) -> f64 {
        self.trainer.smooth_loss / T as f64
    }

    fn first_losses(&self) -> &[f32] {
        &self.first_losses
    }

    fn sample(&mut self, prime: &str, n: usize, temperature: f64) -> Result<String, Error> {
        let pick = if temperature == 0.0 {
            Pick::Argmax
        } else {
            Pick::Sample { temperature }
        };
        let sampler = Sampler::new(&self.params, &self.vocab, &mut self.rng, prime, pick)?;
        Ok(sampler.take(n).collect())
    }

    // ANCHOR: inspect
    fn inspect(&self, n: usize, hs: &mut Vec<f32>, ps: &mut Vec<f32>) -> Result<String, Error> {
        let vocab_size = self.vocab.len();
        // Where the next training step reads: from the trainer's place and
        // state, unless that step goes back to the start with h = 0.
        let tr = &self.trainer;
        let (byte, mut h) = if tr.steps == 0 || tr.position + T + 1 >= self.chars {
            (0, [0.0; H])
        } else {
            (tr.byte_position(), tr.hprev)
        };
        let chars: String = self.text[byte..].chars().take(n.min(MAX_INSPECT)).collect();
        hs.clear();
        ps.clear();
        for c in chars.chars() {
            // F0–F3, the teaching layer's functions, one character at a time.
            let h_prev = h;
            hidden_forward(&self.params, self.vocab.encode(c)?, &h_prev, &mut h)?;
            let (mut y, mut p) = ([0.0; V], [0.0; V]);
            logits_forward(&self.params, &h, &mut y);
            probs_forward(&y, vocab_size, &mut p);
            hs.extend_from_slice(&h);
            ps.extend_from_slice(&p[..vocab_size]);
        }
        Ok(chars)
    }
    // ANCHOR_END: inspect

    fn symbols(&self) -> String {
        self.vocab.symbols().iter().collect()
    }

    fn hidden_size(&self) -> usize {
        H
    }
}

/// Why a session could not start: the library's error, or a shape or size
/// this build does not have.
#[derive(Debug)]
pub enum StartError {
    /// The library refused the text or the settings.
    Library(Error),
    /// A hidden size or window length that is not compiled in.
    Shape(String),
}

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StartError::Library(e @ Error::TooManySymbols { .. }) => write!(
                f,
                "{e} (this page is compiled with V = 16 and 128; the `train` example \
                 on a PC takes up to 256)"
            ),
            StartError::Library(e) => e.fmt(f),
            StartError::Shape(s) => f.write_str(s),
        }
    }
}

impl From<Error> for StartError {
    fn from(e: Error) -> Self {
        StartError::Library(e)
    }
}

/// Starts a session on `text` with H = `hidden`, T = `seq_length`.
pub fn start_session(
    text: &str,
    hidden: usize,
    seq_length: usize,
    seed: u64,
    learning_rate: f64,
) -> Result<Box<dyn Session>, StartError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(StartError::Shape(format!(
            "the text has {} bytes; this page takes at most {} MB",
            text.len(),
            MAX_TEXT_BYTES >> 20
        )));
    }
    // The smallest capacity that holds the text's symbols; past the largest,
    // the library's own "more than V distinct characters" error.
    let largest = CAPACITIES[CAPACITIES.len() - 1];
    let v = match Vocab::<16>::from_text(text) {
        Ok(_) => 16,
        Err(Error::TooManySymbols { .. }) => largest,
        Err(e) => return Err(e.into()),
    };
    macro_rules! shapes {
        ($(($vv:literal, $hh:literal, $tt:literal))*) => {
            match (v, hidden, seq_length) {
                $( ($vv, $hh, $tt) => Ok(Box::new(Model::<$vv, $hh, $tt>::new(
                    text.to_string(), seed, learning_rate)?) as Box<dyn Session>), )*
                _ => Err(StartError::Shape(format!(
                    "H = {hidden}, T = {seq_length} is not compiled into this page: \
                     H is one of {HIDDEN_SIZES:?}, T one of {SEQ_LENGTHS:?}"
                ))),
            }
        };
    }
    shapes!((16, 32, 4)(16, 32, 16)(16, 32, 25)(16, 64, 4)(16, 64, 16)(
        16, 64, 25
    )(16, 100, 4)(16, 100, 16)(16, 100, 25)(128, 32, 4)(
        128, 32, 16
    )(128, 32, 25)(128, 64, 4)(128, 64, 16)(128, 64, 25)(
        128, 100, 4
    )(128, 100, 16)(128, 100, 25))
}

/// The losses of the first steps, to the last digit of f32 (Rust's shortest
/// representation that reads back to the same float): the page's and the
/// native build's must be the same string.
pub fn first_losses_text(session: &dyn Session) -> String {
    let mut s = String::new();
    for (i, l) in session.first_losses().iter().enumerate() {
        let _ = write!(s, "{}{l:?}", if i == 0 { "" } else { " " });
    }
    s
}

/// The page's self-test, step by step as the page's worker runs it: train
/// "hello" (H = 32, T = 4, seed 1) for `steps` steps, then sample 4
/// characters after "h" by argmax. Returns the line the page shows.
pub fn selftest(steps: u32) -> String {
    let run = || -> Result<String, StartError> {
        let mut s = start_session("hello", 32, 4, 1, 0.1)?;
        s.train(1)?;
        let first = s.smooth_loss();
        s.train(steps.saturating_sub(1))?;
        let last = s.smooth_loss();
        let sample = format!("h{}", s.sample("h", 4, 0.0)?);
        let verdict = if sample == "hello" && last < first {
            "ok"
        } else {
            "FAIL"
        };
        Ok(format!(
            "selftest {verdict}: loss {first:.4} -> {last:.4}, sample {sample:?}, first losses {}",
            first_losses_text(s.as_ref())
        ))
    };
    run().unwrap_or_else(|e| format!("selftest FAIL: {e}"))
}

// ---------------------------------------------------------------------------
// The exports. One session at a time, behind a Mutex (a plain cell on wasm32,
// which has one thread here), so no `unsafe` is needed for the state.

#[derive(Default)]
struct State {
    session: Option<Box<dyn Session>>,
    input: Vec<u8>,
    output: String,
    message: String,
    hs: Vec<f32>,
    ps: Vec<f32>,
}

static STATE: Mutex<Option<State>> = Mutex::new(None);

fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> R {
    let mut guard = STATE.lock().unwrap_or_else(|e| e.into_inner());
    f(guard.get_or_insert_with(State::default))
}

/// Runs `f` on the session; its error, if any, becomes the message and −1.
fn on_session(f: impl FnOnce(&mut dyn Session, &str, &mut Outputs) -> Result<(), String>) -> i32 {
    with_state(|st| {
        let input = String::from_utf8_lossy(&st.input).into_owned();
        let Some(session) = st.session.as_deref_mut() else {
            st.message = "no model yet: start one first".to_string();
            return -1;
        };
        let mut out = Outputs {
            output: &mut st.output,
            hs: &mut st.hs,
            ps: &mut st.ps,
        };
        match f(session, &input, &mut out) {
            Ok(()) => 0,
            Err(e) => {
                st.message = e;
                -1
            }
        }
    })
}

/// The output buffers a session call may fill.
struct Outputs<'a> {
    output: &'a mut String,
    hs: &'a mut Vec<f32>,
    ps: &'a mut Vec<f32>,
}

/// A buffer of `len` bytes for the next call's text input; returns its address.
#[unsafe(no_mangle)]
pub extern "C" fn input_buffer(len: usize) -> *mut u8 {
    with_state(|st| {
        st.input.clear();
        st.input.resize(len, 0);
        st.input.as_mut_ptr()
    })
}

/// Starts a model on the input text. Returns 0, or −1 with a message.
#[unsafe(no_mangle)]
pub extern "C" fn start(hidden: u32, seq_length: u32, seed: u32, learning_rate: f64) -> i32 {
    with_state(|st| {
        st.session = None;
        let text = match std::str::from_utf8(&st.input) {
            Ok(t) => t,
            Err(e) => {
                st.message = format!("the text is not UTF-8 (byte {})", e.valid_up_to());
                return -1;
            }
        };
        match start_session(
            text,
            hidden as usize,
            seq_length as usize,
            seed.into(),
            learning_rate,
        ) {
            Ok(s) => {
                st.output = s.symbols();
                st.session = Some(s);
                st.input.clear(); // the model has its own copy
                0
            }
            Err(e) => {
                st.message = e.to_string();
                -1
            }
        }
    })
}

/// Trains `steps` steps. Returns 0, or −1 with a message.
#[unsafe(no_mangle)]
pub extern "C" fn train(steps: u32) -> i32 {
    on_session(|s, _, _| s.train(steps).map_err(|e| e.to_string()))
}

/// Steps taken so far.
#[unsafe(no_mangle)]
pub extern "C" fn steps() -> f64 {
    with_state(|st| st.session.as_ref().map_or(0.0, |s| s.steps() as f64))
}

/// The smoothed loss per character.
#[unsafe(no_mangle)]
pub extern "C" fn smooth_loss() -> f64 {
    with_state(|st| st.session.as_ref().map_or(f64::NAN, |s| s.smooth_loss()))
}

/// The hidden size H of the current model.
#[unsafe(no_mangle)]
pub extern "C" fn hidden_size() -> u32 {
    with_state(|st| st.session.as_ref().map_or(0, |s| s.hidden_size() as u32))
}

/// Samples `n` characters after the input text (the prime) into the output.
/// `temperature` 0 picks the most likely character. Returns 0 or −1.
#[unsafe(no_mangle)]
pub extern "C" fn sample(n: u32, temperature: f64) -> i32 {
    on_session(|s, prime, out| {
        *out.output = s
            .sample(prime, n as usize, temperature)
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// The forward pass over the next `n` characters from where training stands:
/// the characters into the output, activations into [`hs_ptr`] (n × H) and
/// next-character probabilities into [`ps_ptr`] (n × vocabulary size).
#[unsafe(no_mangle)]
pub extern "C" fn inspect(n: u32) -> i32 {
    on_session(|s, _, out| {
        *out.output = s
            .inspect(n as usize, out.hs, out.ps)
            .map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// The vocabulary, in index order, into the output.
#[unsafe(no_mangle)]
pub extern "C" fn symbols() -> i32 {
    on_session(|s, _, out| {
        *out.output = s.symbols();
        Ok(())
    })
}

/// The first steps' losses, as text, into the output.
#[unsafe(no_mangle)]
pub extern "C" fn first_losses() -> i32 {
    on_session(|s, _, out| {
        *out.output = first_losses_text(s);
        Ok(())
    })
}

/// The output text's address and length in bytes (UTF-8).
#[unsafe(no_mangle)]
pub extern "C" fn output_ptr() -> *const u8 {
    with_state(|st| st.output.as_ptr())
}

/// See [`output_ptr`].
#[unsafe(no_mangle)]
pub extern "C" fn output_len() -> usize {
    with_state(|st| st.output.len())
}

/// The last error message's address and length in bytes (UTF-8).
#[unsafe(no_mangle)]
pub extern "C" fn message_ptr() -> *const u8 {
    with_state(|st| st.message.as_ptr())
}

/// See [`message_ptr`].
#[unsafe(no_mangle)]
pub extern "C" fn message_len() -> usize {
    with_state(|st| st.message.len())
}

/// The activations [`inspect`] wrote: address of n × H `f32`s.
#[unsafe(no_mangle)]
pub extern "C" fn hs_ptr() -> *const f32 {
    with_state(|st| st.hs.as_ptr())
}

/// The probabilities [`inspect`] wrote: address of n × vocabulary size `f32`s.
#[unsafe(no_mangle)]
pub extern "C" fn ps_ptr() -> *const f32 {
    with_state(|st| st.ps.as_ptr())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selftest_passes_natively() {
        let line = selftest(300);
        assert!(line.starts_with("selftest ok: "), "{line}");
    }

    #[test]
    fn bad_input_is_the_library_message() {
        let e = |text: &str, h, t| start_session(text, h, t, 1, 0.1).err().unwrap().to_string();
        assert_eq!(e("", 32, 4), "the text is empty");
        assert!(e("hell", 32, 4).contains("needs at least 5"));
        assert!(e("hello", 33, 4).contains("not compiled"));
        let many: String = (0..200).filter_map(|i| char::from_u32(0x100 + i)).collect();
        assert!(e(&many, 32, 4).contains("more than 128 distinct"));
        let mut s = start_session("hello", 32, 4, 1, 0.1).unwrap();
        assert!(
            s.sample("x", 3, 1.0)
                .unwrap_err()
                .to_string()
                .contains("'x'")
        );
    }

    #[test]
    fn inspect_gives_h_and_p_for_each_character() {
        let mut s = start_session("hello world", 32, 4, 1, 0.1).unwrap();
        s.train(3).unwrap();
        let (mut hs, mut ps) = (Vec::new(), Vec::new());
        let chars = s.inspect(6, &mut hs, &mut ps).unwrap();
        let n = chars.chars().count();
        assert_eq!(hs.len(), n * 32);
        assert_eq!(ps.len(), n * 8); // 8 symbols: " dehlorw"
        for p in ps.chunks(8) {
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }
}
