//! Train min-char-rnn on your own text, with progress, samples, validation,
//! checkpoints and a loss plot.
//!
//!     cargo run --release --example train -- examples/data/shakespeare.txt --minutes 5 \
//!         --plot loss.svg
//!
//! Saves `shakespeare.ckpt` (and `shakespeare.best.ckpt`, the lowest
//! validation loss, and `shakespeare.history.csv`, every loss measured) in the
//! current folder. Ctrl-C stops after the current step and still saves.

#[path = "common/mod.rs"]
mod common;
#[path = "common/plot.rs"]
mod plot;

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::progress::{Field, Status, fit};
use common::shards::Shards;
use common::{Args, PLACEHOLDER, check_range, duration};
use min_char_rnn::engine::{Workspace, pass::forward};
use min_char_rnn::{
    BatchTrainer, CheckpointHeader, Error, Params, Pick, Rng, Sampler, Text, Trainer, Vocab,
    checkpoint_size, load_checkpoint, save_checkpoint,
};
use plot::{History, Point};

const USAGE: &str = "\
usage: cargo run --release --example train -- TEXT [options]

Trains a character-level RNN on the UTF-8 text in the file TEXT (the last 5%
is held out for validation). Without --steps or --minutes it trains until
Ctrl-C (or SIGTERM, SIGHUP), which stops after the current step and saves.

Every --sample-every steps and at the end it writes, in the current folder
unless --checkpoint says otherwise (for TEXT = data/poems.txt):
  poems.ckpt          the checkpoint, to --resume from or to sample
  poems.best.ckpt     the checkpoint with the lowest validation loss so far
  poems.history.csv   every loss measured, across --resume, for the plot
A run that does not start from an existing checkpoint refuses to replace it:
give --resume poems.ckpt to continue it, or --force to start afresh.

options [default]:
  --steps N           stop at step N, counting the steps before a --resume
                      [none: train until Ctrl-C]
  --minutes M         stop after M minutes of this run [none]
  --checkpoint FILE   where to save [TEXT's name with .ckpt; with --resume, the
                      file resumed, or x.ckpt for x.best.ckpt]; the best and the
                      history go beside it
  --resume FILE       continue from a checkpoint (its H and T win, and its
                      learning rate unless --lr is given)
  --force             replace a checkpoint this run does not start from
  --hidden H          hidden size: 32, 64, 100, 128, 256 or 512 [100]; for a
                      text of more than 256 distinct characters, 100, 256 or 512
  --seq T             characters per window (seq_length): 25 or 50 [25]
  --lr RATE           Adagrad learning rate [0.1]
  --batch B           train B streams of the text at once, one update for all
                      (a minibatch): 1, 8 or 32 [1]; B > 1 is compiled for f32
                      with V = 96 (at most 96 distinct characters), T = 25 and
                      H = 100, 256 or 512 only. A step then reads B windows.
                      The checkpoint is an ordinary one (sample it, or resume it
                      with any --batch): it keeps stream 0's place and state,
                      and a resumed minibatch run starts the other streams
                      again at the start of their parts
  --threads K         share the B streams among K threads (cores), each with
                      its own part of the text [1]: 1, 2, 4 or 8 for --batch
                      32, 1 or 2 for --batch 8. Two threads train 8 streams
                      about 1.8 times as fast as one
  --seed S            seed for the initial weights and the samples [42]
  --sample-every K    every K steps: print a 200-character sample, measure the
                      validation loss and save [1000]
  --valid-chars N|all validate on the first N held-out characters, the same
                      ones each time [10000]; on all of them at the end
  --plot FILE.svg     draw the whole run's loss curves as SVG [none]
  --normalize         remove a UTF-8 byte-order mark; end lines with \\n, not
                      with \\r\\n
  --top-chars N       keep the N most frequent characters and write every other
                      one as \u{FFFD} (U+FFFD), for texts with more than 1024
                      distinct characters [keep all]
  -h, --help          this help
  -V, --version       the version";

/// Set by Ctrl-C, SIGTERM or SIGHUP, or when standard output goes away
/// (`train … | head`): either way, training stops after the current step and
/// saves what it has.
static STOP: AtomicBool = AtomicBool::new(false);

fn stopping() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// Writes to standard output; instead of panicking when nobody reads it any
/// more, asks training to stop cleanly.
fn out(text: &str) {
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        STOP.store(true, Ordering::SeqCst);
    }
}

/// What goes to the terminal: lines that stay, and on a terminal one status
/// line at the bottom that is redrawn in place and always fits its width.
struct Screen {
    status: Option<Status>,
}

impl Screen {
    fn new() -> Self {
        Screen {
            status: std::io::stdout().is_terminal().then(Status::new),
        }
    }

    fn tty(&self) -> bool {
        self.status.is_some()
    }

    /// A line that stays (the status line, if shown, is erased first).
    fn line(&mut self, text: &str) {
        match &mut self.status {
            Some(s) if s.showing => {
                s.showing = false;
                out(&format!("\r\x1b[2K{text}\n"));
            }
            _ => out(&format!("{text}\n")),
        }
    }

    /// Redraws the status line if it is due (terminals only).
    fn status(&mut self, fields: impl FnOnce() -> Vec<Field>) {
        if let Some(s) = &mut self.status {
            if s.due() {
                let line = s.line(&fields());
                out(&line);
            }
        }
    }

    /// A line that stays, fitted to the terminal's width like the status line.
    fn fitted(&mut self, fields: &[Field]) {
        let line = match &mut self.status {
            Some(s) => fit(fields, s.width()),
            None => fields
                .iter()
                .map(|f| f.long.as_str())
                .collect::<Vec<_>>()
                .join("  "),
        };
        self.line(&line);
    }

    /// Erases the status line.
    fn clear(&mut self) {
        if let Some(s) = &mut self.status {
            if s.showing {
                s.showing = false;
                out("\r\x1b[2K");
            }
        }
    }
}

struct Config {
    path: String,
    hidden: usize,
    seq: usize,
    lr: f64,
    /// Whether --lr was given (a resumed run keeps the checkpoint's rate otherwise).
    lr_given: bool,
    batch: usize,
    threads: usize,
    steps: Option<u64>,
    minutes: Option<f64>,
    seed: u64,
    out: Outputs,
    resume: Option<(String, Vec<u8>)>,
    sample_every: u64,
    valid_chars: Option<usize>,
    plot: Option<String>,
    force: bool,
    normalize: bool,
    top_chars: Option<usize>,
}

/// The files a run writes beside each other.
struct Outputs {
    /// The checkpoint.
    checkpoint: String,
    /// Whether it is the default name, not given by --checkpoint.
    default: bool,
    /// The checkpoint with the lowest validation loss.
    best: String,
    /// The loss history, CSV.
    history: String,
}

impl Outputs {
    /// `x.ckpt` -> `x.best.ckpt`, `x.history.csv`; `x.bin` -> `x.bin.best.ckpt`, ….
    fn beside(checkpoint: String, default: bool) -> Self {
        let base = checkpoint
            .strip_suffix(".ckpt")
            .unwrap_or(&checkpoint)
            .to_string();
        Outputs {
            best: format!("{base}.best.ckpt"),
            history: format!("{base}.history.csv"),
            checkpoint,
            default,
        }
    }
}

/// `data/poems.txt` -> `poems.ckpt`, in the current folder.
fn default_checkpoint(text: &str) -> String {
    let stem = std::path::Path::new(text)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "model".into());
    format!("{stem}.ckpt")
}

/// `--threads K` for `--batch B`: at least 1, and a K that gives each thread
/// a compiled number of streams.
fn threads(batch: usize, threads: usize) -> Result<usize, String> {
    let threads = check_range("threads", threads, |k| k >= 1, "must be at least 1")?;
    let fits = |k: usize| batch % k == 0 && STREAMS_PER_THREAD.contains(&(batch / k));
    match threads {
        1 => Ok(1),
        k if batch == 1 => Err(format!(
            "--threads {k}: one stream cannot be shared among threads; give --batch 8 or 32 too"
        )),
        k if fits(k) => Ok(k),
        k => {
            let good: Vec<String> = (1..=batch)
                .filter(|&k| fits(k))
                .map(|k| k.to_string())
                .collect();
            let (last, rest) = good.split_last().map_or(("1", &[][..]), |(l, r)| (&**l, r));
            Err(format!(
                "--threads {k}: --batch {batch} is compiled for {} or {last} threads (each \
                 thread takes {} streams)",
                rest.join(", "),
                STREAMS_PER_THREAD.map(|s| s.to_string()).join(", ")
            ))
        }
    }
}

fn config(args: &Args) -> Result<Config, String> {
    let [path] = args.positional() else {
        return Err(match args.positional().len() {
            0 => "no text file given".to_string(),
            _ => format!("one text file expected, got {:?}", args.positional()),
        });
    };
    let resume = match args.get::<String>("resume")? {
        Some(file) => {
            let bytes = std::fs::read(&file).map_err(|e| format!("cannot read {file}: {e}"))?;
            Some((file, bytes))
        }
        None => None,
    };
    let (mut hidden, mut seq) = (
        args.get("hidden")?.unwrap_or(100),
        args.get("seq")?.unwrap_or(25),
    );
    if let Some((file, bytes)) = &resume {
        let h = CheckpointHeader::read(bytes).map_err(|e| format!("{file}: {e}"))?;
        (hidden, seq) = (h.hidden_size as usize, h.seq_length as usize);
    }
    let steps = args.get::<u64>("steps")?;
    let minutes = args.get::<f64>("minutes")?;
    if let Some(m) = minutes {
        check_range(
            "minutes",
            m,
            |m| m.is_finite() && m > 0.0,
            "must be a positive number",
        )?;
    }
    let valid_chars = match args.get::<String>("valid-chars")?.as_deref() {
        None => Some(10_000),
        Some("all") => None,
        Some(n) => Some(check_range(
            "valid-chars",
            n.parse::<usize>()
                .map_err(|e| format!("--valid-chars {n:?}: {e} (give a number or all)"))?,
            |n| n >= 100,
            "must be at least 100 (or all)",
        )?),
    };
    let top_chars = match args.get::<usize>("top-chars")? {
        Some(n) => Some(check_range(
            "top-chars",
            n,
            |n| (1..common::CAPACITIES[common::CAPACITIES.len() - 1]).contains(&n),
            &format!(
                "must be 1 to {} (the placeholder makes one more symbol)",
                common::CAPACITIES[common::CAPACITIES.len() - 1] - 1
            ),
        )?),
        None => None,
    };
    let lr = args.get::<f64>("lr")?;
    let out = match (args.get::<String>("checkpoint")?, &resume) {
        (Some(file), _) => Outputs::beside(file, false),
        // Resuming from a best checkpoint continues the run it belongs to:
        // x.best.ckpt saves to x.ckpt (refused if it exists, unless --force),
        // so that x.best.ckpt stays the lowest validation loss.
        (None, Some((file, _))) => match file.strip_suffix(".best.ckpt") {
            Some(base) => Outputs::beside(format!("{base}.ckpt"), false),
            None => Outputs::beside(file.clone(), false),
        },
        (None, None) => Outputs::beside(default_checkpoint(path), true),
    };
    let batch = check_range(
        "batch",
        args.get("batch")?.unwrap_or(1),
        |b| BATCHES.contains(&b),
        &format!("not a compiled number of streams; pick one of {BATCHES:?}"),
    )?;
    Ok(Config {
        path: path.clone(),
        hidden: check_range(
            "hidden",
            hidden,
            |h| common::HIDDEN_SIZES.contains(&h),
            &format!(
                "not a compiled hidden size; pick one of {:?}",
                common::HIDDEN_SIZES
            ),
        )?,
        seq: check_range(
            "seq",
            seq,
            |t| common::SEQ_LENGTHS.contains(&t),
            &format!(
                "not a compiled seq_length; pick one of {:?}",
                common::SEQ_LENGTHS
            ),
        )?,
        lr_given: lr.is_some(),
        lr: check_range(
            "lr",
            lr.unwrap_or(0.1),
            |r: f64| r.is_finite() && r > 0.0 && (r as f32).is_finite() && r as f32 > 0.0,
            "must be a positive number that f32 can hold (about 1e-45 to 3e38)",
        )?,
        batch,
        threads: threads(batch, args.get("threads")?.unwrap_or(1))?,
        steps,
        minutes,
        seed: args.get("seed")?.unwrap_or(42),
        out,
        resume,
        sample_every: check_range(
            "sample-every",
            args.get("sample-every")?.unwrap_or(1000),
            |k| k > 0,
            "must be at least 1",
        )?,
        valid_chars,
        plot: args.get("plot")?,
        force: args.has("force"),
        normalize: args.has("normalize"),
        top_chars,
    })
}

/// A path as it will be when written: canonical if the file exists, else
/// its directory's canonical path and its name. Errors if the directory does
/// not exist.
fn resolved(path: &str) -> Result<std::path::PathBuf, String> {
    let p = std::path::Path::new(path);
    if let Ok(full) = std::fs::canonicalize(p) {
        return Ok(full);
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = p
        .file_name()
        .ok_or_else(|| format!("{path} is not a file name"))?;
    let dir = std::fs::canonicalize(dir)
        .map_err(|e| format!("cannot write {path}: its folder {}: {e}", dir.display()))?;
    Ok(dir.join(name))
}

/// "(step 2000, H = 100, T = 25)" for a checkpoint file, or why it is not one.
fn describe_checkpoint(path: &str) -> String {
    match std::fs::read(path)
        .map_err(|e| e.to_string())
        .and_then(|b| CheckpointHeader::read(&b).map_err(|e| e.to_string()))
    {
        Ok(h) => format!(
            "a checkpoint at step {}, H = {}, T = {}",
            h.steps, h.hidden_size, h.seq_length
        ),
        Err(e) => format!("not a checkpoint this build reads: {e}"),
    }
}

/// Checks the output files before any training, so that no run destroys an
/// input or a previous run's files, or fails only at its first save: no
/// output is the training text or another output, existing files of another
/// run are replaced only with `--force`, no save's temporary file (FILE.tmp)
/// is an input or an output, and every output's folder can be written to.
/// Returns notes to print: a temporary file that is already there.
fn check_outputs(cfg: &Config) -> Result<Vec<String>, String> {
    let text = resolved(&cfg.path)?;
    let resume = cfg.resume.as_ref().map(|(f, _)| resolved(f)).transpose()?;
    let o = &cfg.out;
    let checkpoint = resolved(&o.checkpoint)?;
    let saved = [&o.checkpoint, &o.best, &o.history];
    let plot = cfg.plot.as_deref().map(resolved).transpose()?;
    let mut outputs = vec![("--checkpoint", resolved(&o.checkpoint)?)];
    outputs.push(("the best checkpoint", resolved(&o.best)?));
    outputs.push(("the loss history", resolved(&o.history)?));
    for (what, out) in &outputs {
        if *out == text {
            return Err(if *what == "--checkpoint" {
                format!(
                    "--checkpoint names the training text {}: it would be overwritten",
                    cfg.path
                )
            } else {
                format!(
                    "{what}, named after --checkpoint, would be the training text {}: choose \
                     another --checkpoint",
                    cfg.path
                )
            });
        }
    }
    if let Some(plot) = &plot {
        if *plot == text {
            return Err(format!(
                "--plot names the training text {}: it would be overwritten",
                cfg.path
            ));
        }
        if resume.as_ref() == Some(plot) {
            return Err(
                "--plot names the checkpoint given to --resume: it would be overwritten".into(),
            );
        }
        if let Some((what, _)) = outputs.iter().find(|(_, o)| o == plot) {
            return Err(if *what == "--checkpoint" {
                "--plot and --checkpoint name the same file".into()
            } else {
                format!("--plot names {what}, which is written beside the checkpoint")
            });
        }
    }
    if resume.as_ref() != Some(&checkpoint) && !cfg.force {
        let resumes_other = cfg.resume.is_some();
        for file in saved {
            if !std::path::Path::new(file).exists() {
                continue;
            }
            let what = if file == &o.checkpoint {
                describe_checkpoint(file)
            } else {
                format!("left beside {} by an earlier run", o.checkpoint)
            };
            let (start, force) = if resumes_other {
                (
                    "this run resumes from another file",
                    "to replace it with this run",
                )
            } else {
                ("this run starts afresh", "to start afresh and replace it")
            };
            let name = if o.default {
                "(the default name for this text) "
            } else {
                ""
            };
            return Err(format!(
                "{file} {name}exists ({what}), and {start}: it would be replaced. \
                 To continue that run, add --resume {c}; {force}, add --force; to keep both, \
                 add --checkpoint OTHER.ckpt",
                c = o.checkpoint
            ));
        }
    }
    // Each file is saved by writing FILE.tmp first and renaming it: that
    // name must not be an input or another output either.
    let mut notes = Vec::new();
    for file in saved.into_iter().chain(&cfg.plot) {
        let tmp = format!("{file}.tmp");
        let full = resolved(&tmp)?;
        let clash = if full == text {
            Some(format!("the training text {}", cfg.path))
        } else if resume.as_ref() == Some(&full) {
            Some("the checkpoint given to --resume".into())
        } else if plot.as_ref() == Some(&full) {
            Some("--plot".into())
        } else {
            let other = outputs.iter().find(|(_, o)| *o == full);
            other.map(|(what, _)| what.to_string())
        };
        if let Some(what) = clash {
            return Err(format!(
                "{file} is saved by writing {tmp} first and renaming it, and {tmp} is {what}: \
                 it would be overwritten; choose other names"
            ));
        }
        notes.extend(probe(&tmp)?);
    }
    Ok(notes)
}

/// Finds out now whether `path` (a save's temporary file) can be written:
/// creates and removes it, or, if it is already there (left by a save that
/// was killed, or a file of the user's), leaves it alone and returns a note
/// that the first save will replace it.
fn probe(path: &str) -> Result<Option<String>, String> {
    let cannot = |e: std::io::Error| format!("cannot write {path}: {e}");
    let new = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path);
    match new {
        Ok(_) => std::fs::remove_file(path).map(|_| None).map_err(cannot),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // Opening for writing, without truncating, changes nothing.
            std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(cannot)?;
            Ok(Some(format!(
                "{path} exists: saves write there first, so the first save will replace it"
            )))
        }
        Err(e) => Err(cannot(e)),
    }
}

fn main() {
    let known = [
        "hidden",
        "seq",
        "lr",
        "batch",
        "threads",
        "steps",
        "minutes",
        "seed",
        "checkpoint",
        "resume",
        "sample-every",
        "valid-chars",
        "plot",
        "top-chars",
    ];
    let args = Args::parse("train", USAGE, &known, &["force", "normalize"]);
    let cfg = config(&args).unwrap_or_else(|e| args.fail(e));
    if !(1e-4..=1.0).contains(&cfg.lr) {
        eprintln!(
            "train: warning: --lr {} is outside 1e-4 to 1, where min-char-rnn's Adagrad \
             learns (0.1 is the default): expect it to learn slowly or not at all",
            rate(cfg.lr)
        );
    }
    let fail = |e: String| -> ! {
        eprintln!("train: error: {e}");
        std::process::exit(1)
    };
    match check_outputs(&cfg) {
        Ok(notes) => notes.iter().for_each(|n| eprintln!("train: note: {n}")),
        Err(e) => fail(e),
    }
    let mut screen = Screen::new();
    if let Ok(m) = std::fs::metadata(&cfg.path) {
        if m.len() >= 16 << 20 {
            screen.line(&format!(
                "reading and checking {} ({} MiB) …",
                cfg.path,
                m.len() >> 20
            ));
        }
    }
    let text = prepare(&cfg, &mut screen).unwrap_or_else(|e| fail(e));
    if let Err(e) = ctrlc::set_handler(|| STOP.store(true, Ordering::SeqCst)) {
        eprintln!("train: warning: Ctrl-C, SIGTERM and SIGHUP will not save a checkpoint ({e})");
    }
    if let Err(e) = run(&cfg, text, &mut screen) {
        screen.clear();
        fail(e);
    }
}

/// Reads the text and applies --normalize and, for a new model, --top-chars,
/// saying what they changed (or what --normalize would).
fn prepare(cfg: &Config, screen: &mut Screen) -> Result<String, String> {
    let mut text = common::read_text(&cfg.path)?;
    let ends = common::LineEnds::of(&text);
    if cfg.normalize {
        text = common::normalize(&text);
        if text.is_empty() {
            return Err(format!("{} is empty once normalised", cfg.path));
        }
    }
    if let Some(note) = ends.note(cfg.normalize) {
        screen.line(&note);
    }
    if let (Some(n), None) = (cfg.top_chars, &cfg.resume) {
        match common::most_frequent(&text, n) {
            None => screen.line(&format!(
                "--top-chars {n}: the text has only {} distinct characters; all are kept",
                common::distinct_chars(&text)
            )),
            Some(keep) => {
                let distinct = common::distinct_chars(&text);
                let (mapped, replaced) =
                    common::replace_others(&text, |c| keep.binary_search(&c).is_ok());
                let total = text.chars().count();
                screen.line(&format!(
                    "--top-chars {n}: kept the {n} most frequent of {distinct} distinct \
                     characters; the other {} ({replaced} characters, {:.2}% of the text) are \
                     written as {PLACEHOLDER:?}",
                    distinct - n,
                    100.0 * replaced as f64 / total as f64
                ));
                text = mapped;
            }
        }
    }
    Ok(text)
}

/// Picks the compiled shape and trains.
fn run(cfg: &Config, text: String, screen: &mut Screen) -> Result<(), String> {
    let v = match &cfg.resume {
        Some((file, bytes)) => {
            CheckpointHeader::read(bytes)
                .map_err(|e| format!("{file}: {e}"))?
                .vocab_capacity as usize
        }
        None => common::capacity_for(common::distinct_chars(&text))?,
    };
    let unsupported = Err(if common::hidden_sizes(v).contains(&cfg.hidden) {
        format!(
            "no compiled model with V = {v}, H = {}, T = {}",
            cfg.hidden, cfg.seq
        )
    } else {
        format!(
            "--hidden {}: the vocabulary capacity this text needs, V = {v}, is compiled with \
             a hidden size of {:?} only",
            cfg.hidden,
            common::hidden_sizes(v)
        )
    });
    if cfg.batch == 1 {
        return with_shape!(v, cfg.hidden, cfg.seq, unsupported, |V, H, T| {
            train::<V, H, T, Trainer<f32, V, H, T>>(cfg, text, screen)
        });
    }
    // Minibatches for a short list of shapes only: each costs compile time
    // and binary size. Keep BATCH_HIDDEN and BATCHES in step with this list:
    // the streams per thread, B / K, for B of 8 or 32 on 1 or 2 threads.
    macro_rules! batched {
        ($(($hh:literal, $ss:literal))*) => {
            match (v, cfg.hidden, cfg.seq, cfg.batch / cfg.threads) {
                $( (BATCH_V, $hh, BATCH_T, $ss) => {
                    train::<BATCH_V, $hh, BATCH_T, Streams<BATCH_V, $hh, BATCH_T, $ss>>(cfg, text, screen)
                } )*
                _ => Err(batch_unsupported(cfg.batch, v, cfg.hidden, cfg.seq)),
            }
        };
    }
    batched!((100, 4)(100, 8)(100, 16)(100, 32)(256, 4)(256, 8)(256, 16)(
        256, 32
    )(512, 4)(512, 8)(512, 16)(512, 32))
}

/// A warning if `threads` is more than this machine's cores: threads that
/// share a core wait for each other every step.
fn cores_note(threads: usize) -> String {
    match std::thread::available_parallelism() {
        Ok(cores) if threads > cores.get() => format!(
            " (this machine runs {cores} threads at once: more make training slower, not faster)"
        ),
        _ => String::new(),
    }
}

/// The numbers of streams `--batch` takes.
const BATCHES: [usize; 3] = [1, 8, 32];
/// The streams per thread compiled for `--batch` above 1.
const STREAMS_PER_THREAD: [usize; 4] = [4, 8, 16, 32];
/// The one vocabulary capacity, seq_length and the hidden sizes compiled
/// for `--batch` above 1.
const BATCH_V: usize = 96;
const BATCH_T: usize = 25;
const BATCH_HIDDEN: [usize; 3] = [100, 256, 512];

/// Why `--batch` cannot train this shape (`batch` > 1, a shape not compiled).
fn batch_unsupported(batch: usize, v: usize, hidden: usize, seq: usize) -> String {
    let mut off = Vec::new();
    if v != BATCH_V {
        off.push(format!(
            "this model has V = {v} (more than {BATCH_V} distinct characters; a new run can \
             keep the {n} most frequent with --top-chars {n})",
            n = BATCH_V - 1
        ));
    }
    if !BATCH_HIDDEN.contains(&hidden) {
        off.push(format!("--hidden is {hidden}"));
    }
    if seq != BATCH_T {
        off.push(format!("--seq is {seq}"));
    }
    format!(
        "--batch {batch}: minibatches are compiled for f32 with V = {BATCH_V}, T = {BATCH_T} and \
         H = {} only, and {}; use --batch 1 for other shapes",
        BATCH_HIDDEN.map(|h| h.to_string()).join(", "),
        off.join(" and ")
    )
}

/// Splits off the last 5% of the characters for validation.
fn split(text: &str) -> (&str, &str) {
    let chars = text.chars().count();
    let keep = chars - chars / 20;
    let at = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    text.split_at(at)
}

/// The first `n` characters of `text` (all of it if it is shorter).
fn prefix(text: &str, n: usize) -> &str {
    let at = text.char_indices().nth(n).map_or(text.len(), |(i, _)| i);
    &text[..at]
}

/// The loss history saved beside `checkpoint`, up to `step`. The best
/// checkpoint `x.best.ckpt` has no history of its own: it is read from
/// `x.history.csv`.
fn read_history(checkpoint: &str, step: u64, screen: &mut Screen) -> History {
    let own = Outputs::beside(checkpoint.to_string(), false).history;
    let candidates = match checkpoint.strip_suffix(".best.ckpt") {
        Some(base) => vec![own, format!("{base}.history.csv")],
        None => vec![own],
    };
    for file in &candidates {
        match std::fs::read_to_string(file) {
            Ok(csv) => match History::parse(&csv) {
                Ok(mut h) => {
                    h.truncate(step);
                    return h;
                }
                Err(e) => {
                    screen.line(&format!(
                        "warning: {file}: {e}; the plot starts at step {step}"
                    ));
                    return History::default();
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                screen.line(&format!(
                    "warning: cannot read {file}: {e}; the plot starts at step {step}"
                ));
                return History::default();
            }
        }
    }
    screen.line(&format!(
        "no loss history beside {checkpoint} ({}): the plot starts at step {step}",
        candidates[0]
    ));
    History::default()
}

/// How the training loop takes a step: one stream ([`Trainer`]) or `B`
/// ([`Streams`]). Everything else the loop reads (the step count, the
/// smoothed loss, the hidden state and place to sample and validate from,
/// and what a checkpoint saves) it reads from a one-stream [`Trainer`]: the
/// trainer itself, or for `B` streams a view of stream 0.
trait Stepper<const V: usize, const H: usize, const T: usize> {
    /// Windows read per step on each thread.
    const STREAMS: usize;
    /// Bytes of training state besides the parameters, on `threads` threads.
    fn bytes(threads: usize) -> usize;
    /// Takes over a one-stream trainer, new or loaded from a checkpoint,
    /// to train on `threads` threads.
    fn start(
        trainer: Box<Trainer<f32, V, H, T>>,
        text: &Text<'static, V>,
        threads: usize,
    ) -> Result<Box<Self>, Error>;
    /// One training step; the mean loss of its windows.
    fn step(&mut self, params: &mut Params<f32, V, H>, text: &Text<'_, V>) -> Result<f32, Error>;
    /// The step count, smoothed loss, `hprev` and place, current after
    /// every step (Adagrad's memory may lag: see [`Stepper::synced`]).
    fn view(&self) -> &Trainer<f32, V, H, T>;
    /// The view with everything a checkpoint holds, Adagrad's memory too.
    fn synced(&mut self) -> &Trainer<f32, V, H, T>;
}

impl<const V: usize, const H: usize, const T: usize> Stepper<V, H, T> for Trainer<f32, V, H, T> {
    const STREAMS: usize = 1;

    fn bytes(_: usize) -> usize {
        Trainer::<f32, V, H, T>::BYTES
    }

    fn start(trainer: Box<Self>, _: &Text<'static, V>, _: usize) -> Result<Box<Self>, Error> {
        Ok(trainer)
    }

    fn step(&mut self, params: &mut Params<f32, V, H>, text: &Text<'_, V>) -> Result<f32, Error> {
        Trainer::step(self, params, text)
    }

    fn view(&self) -> &Self {
        self
    }

    fn synced(&mut self) -> &Self {
        self
    }
}

/// `K·S` streams: `K` shards of `S` streams ([`Shards`], a thread each)
/// train, and a one-stream [`Trainer`] shows stream 0 to the loop and
/// carries the state a checkpoint keeps ([`BatchTrainer::store`]).
struct Streams<const V: usize, const H: usize, const T: usize, const S: usize> {
    shards: Shards<'static, V, H, T, S>,
    view: Box<Trainer<f32, V, H, T>>,
}

impl<const V: usize, const H: usize, const T: usize, const S: usize> Streams<V, H, T, S> {
    /// Shard 0, whose stream 0 the view shows and a checkpoint keeps.
    #[cfg(test)]
    fn first(&self) -> &BatchTrainer<f32, V, H, T, S> {
        &self.shards.shards[0]
    }

    /// What the loop reads every step, copied from shard 0: all of
    /// [`BatchTrainer::store`] but Adagrad's memory (P floats, copied for
    /// saves only).
    fn sync_view(&mut self) {
        let (b, view) = (&self.shards.shards[0], &mut self.view);
        view.steps = b.steps;
        view.smooth_loss = b.smooth_loss;
        view.hprev = b.hprevs[0];
        view.set_position(b.streams[0].position, b.streams[0].byte);
    }
}

impl<const V: usize, const H: usize, const T: usize, const S: usize> Stepper<V, H, T>
    for Streams<V, H, T, S>
{
    const STREAMS: usize = S;

    fn bytes(threads: usize) -> usize {
        BatchTrainer::<f32, V, H, T, S>::BYTES * threads
            + Trainer::<f32, V, H, T>::BYTES
            + std::mem::size_of::<Params<f32, V, H>>() * (threads - 1) // the workers' copies
    }

    fn start(
        view: Box<Trainer<f32, V, H, T>>,
        text: &Text<'static, V>,
        threads: usize,
    ) -> Result<Box<Self>, Error> {
        let mut shards = Shards::new(text, threads)?;
        shards.resume(&view)?;
        let mut streams = Box::new(Streams { shards, view });
        streams.sync_view();
        Ok(streams)
    }

    fn step(&mut self, params: &mut Params<f32, V, H>, _: &Text<'_, V>) -> Result<f32, Error> {
        let loss = self.shards.step(params)?;
        self.sync_view();
        Ok(loss)
    }

    fn view(&self) -> &Trainer<f32, V, H, T> {
        &self.view
    }

    fn synced(&mut self) -> &Trainer<f32, V, H, T> {
        self.shards.shards[0].store(&mut self.view);
        &self.view
    }
}

fn train<const V: usize, const H: usize, const T: usize, S: Stepper<V, H, T>>(
    cfg: &Config,
    mut source: String,
    screen: &mut Screen,
) -> Result<(), String> {
    let mut params = common::zeroed::<Params<f32, V, H>>();
    let mut trainer = common::zeroed::<Trainer<f32, V, H, T>>();
    let mut rng = Rng::new(cfg.seed);
    let mut history = History::default();
    let vocab = match &cfg.resume {
        Some((file, bytes)) => {
            let vocab = load_checkpoint(bytes, &mut params, &mut trainer, &mut rng)
                .map_err(|e| format!("{file}: {e}"))?;
            screen.line(&format!("resumed from {file} at step {}", trainer.steps));
            let was = trainer.adagrad.learning_rate();
            if cfg.lr_given && cfg.lr != was {
                trainer
                    .adagrad
                    .set_learning_rate(cfg.lr)
                    .map_err(|e| e.to_string())?;
                screen.line(&format!(
                    "learning rate {} from now on (--lr), instead of {file}'s {}",
                    rate(cfg.lr),
                    rate(was)
                ));
            }
            history = read_history(file, trainer.steps, screen);
            if let Some(n) = cfg.top_chars {
                if vocab.encode(PLACEHOLDER).is_ok() {
                    let (mapped, replaced) =
                        common::replace_others(&source, |c| vocab.encode(c).is_ok());
                    screen.line(&format!(
                        "--top-chars {n}: {replaced} characters outside {file}'s vocabulary are \
                         written as {PLACEHOLDER:?}"
                    ));
                    source = mapped;
                }
            }
            vocab
        }
        None => {
            let vocab = Vocab::<V>::from_text(&source).map_err(|e| e.to_string())?;
            // min-char-rnn's draws for this vocabulary, whatever the capacity V.
            params
                .init_for(vocab.len(), &mut rng)
                .map_err(|e| e.to_string())?;
            trainer
                .adagrad
                .set_learning_rate(cfg.lr)
                .map_err(|e| e.to_string())?;
            vocab
        }
    };
    // A large vocabulary (a Chinese text has hundreds of symbols) is shown
    // by its first 30, not as a line of many screens.
    let symbols = match vocab.len() {
        n if n > 100 => {
            let shown: String = vocab.symbols().iter().take(30).collect();
            format!("{shown:?} and {} more", n - 30)
        }
        _ => format!("{:?}", vocab.symbols().iter().collect::<String>()),
    };
    screen.line(&format!(
        "vocabulary: {} symbols (capacity V = {V}): {symbols}\nmodel: H = {H}, T = {T}, f32, \
         {} parameters, {} KiB of training state{}",
        vocab.len(),
        Params::<f32, V, H>::COUNT,
        (std::mem::size_of::<Params<f32, V, H>>() + S::bytes(cfg.threads)) / 1024,
        match (S::STREAMS * cfg.threads, cfg.threads) {
            (1, _) => String::new(),
            (b, threads) => format!(
                "\nminibatch: {b} streams, each reading its own part of the text; a step reads \
                 {b} windows ({} characters) and makes one update{}",
                b * T,
                match threads {
                    1 => String::new(),
                    k => format!("; {k} threads, {} streams each{}", b / k, cores_note(k)),
                }
            ),
        }
    ));
    // The text and its vocabulary live until the process ends: the worker
    // threads of `--threads` read them for the whole run.
    let source: &'static str = Box::leak(source.into_boxed_str());
    let vocab: &'static Vocab<V> = Box::leak(Box::new(vocab));
    let (train_part, valid_part) = split(source);
    let text = Text::new(vocab, train_part).map_err(|e| match &cfg.resume {
        Some((file, _)) => {
            let hint = if vocab.encode(PLACEHOLDER).is_ok() && cfg.top_chars.is_none() {
                " (it was trained with --top-chars: give --top-chars again)"
            } else if vocab.encode('\r').is_err() && source.contains('\r') && !cfg.normalize {
                " (give --normalize if it was trained with it)"
            } else {
                ""
            };
            format!(
                "{}: {e}: {file} was trained on a text with another vocabulary{hint}",
                cfg.path
            )
        }
        None => e.to_string(),
    })?;
    let mut stepper =
        S::start(trainer, &text, cfg.threads).map_err(|e| format!("{}: {e}", cfg.path))?;
    let full = Text::new(vocab, valid_part).ok().filter(|v| v.len() > T);
    let periodic = full.and_then(|f| match cfg.valid_chars {
        Some(n) if n < f.len() => Text::new(vocab, prefix(valid_part, n)).ok(),
        _ => Some(f),
    });
    screen.line(&match full {
        Some(f) => format!(
            "text: {} characters for training, {} held out for validation",
            text.len(),
            f.len()
        ),
        None => format!(
            "text: {} characters for training; too short to hold any out for validation",
            text.len()
        ),
    });
    if let (Some(f), Some(p)) = (full, periodic) {
        if p.len() < f.len() {
            screen.line(&format!(
                "validation: on the first {} held-out characters each time, on all at the end",
                p.len()
            ));
        }
    }
    let o = &cfg.out;
    screen.line(&format!(
        "saving every {} and at the end{}:\n  {}, the checkpoint\n  {}, the lowest \
         validation loss so far\n  {}, every loss measured",
        if cfg.sample_every == 1 {
            "step".to_string()
        } else {
            format!("{} steps", cfg.sample_every)
        },
        if o.default {
            " (--checkpoint FILE to choose)"
        } else {
            ""
        },
        o.checkpoint,
        o.best,
        o.history
    ));
    screen.line(&match (cfg.steps, cfg.minutes) {
        (Some(n), _) if n <= stepper.view().steps => format!(
            "the checkpoint is at step {}, which is --steps {n} or beyond: no training",
            stepper.view().steps
        ),
        (None, None) => "training until Ctrl-C (no --steps or --minutes), which saves".into(),
        (Some(n), None) => format!("training until step {n} (Ctrl-C saves and stops earlier)"),
        (None, Some(m)) => format!("training for {m} minutes (Ctrl-C saves and stops earlier)"),
        (Some(n), Some(m)) => {
            format!("training until step {n} or for {m} minutes (Ctrl-C saves and stops earlier)")
        }
    });

    let (periodic_chars, full_chars) =
        (periodic.map_or(0, |p| p.len()), full.map_or(0, |f| f.len()));
    let mut best = history.best(periodic_chars);
    let mut clock = Clock::new(stepper.view().steps, T * S::STREAMS * cfg.threads);
    let mut saved_step = cfg
        .resume
        .as_ref()
        .map(|_| (stepper.view().steps, &o.checkpoint));
    let mut last_valid: Option<f64> = None;
    let mut valid_step = None;
    // As char-rnn: a smoothed loss three times that of a uniform guess is
    // exploding, though still finite, and nothing from there on is saved.
    let uniform = (vocab.len() as f64).ln();
    let interrupted = loop {
        let done_steps = cfg.steps.is_some_and(|n| stepper.view().steps >= n);
        let done_time = cfg
            .minutes
            .is_some_and(|m| clock.started.elapsed().as_secs_f64() >= m * 60.0);
        if stopping() {
            break true;
        }
        if done_steps || done_time {
            break false;
        }
        if let Err(e) = stepper.step(&mut params, &text) {
            return Err(match e {
                Error::Diverged { .. } => format!("{e}; {}", kept(saved_step)),
                e => e.to_string(),
            });
        }
        let n = stepper.view().steps;
        let smooth = stepper.view().smooth_loss / T as f64;
        if smooth > 3.0 * uniform {
            return Err(format!(
                "the loss is exploding at step {n}: the smoothed loss, {}/char, is more than 3 \
                 times a uniform guess's ln {} = {uniform:.2} (a smaller learning rate may \
                 help); {}",
                if smooth < 1e6 {
                    format!("{smooth:.1}")
                } else {
                    format!("{smooth:.2e}")
                },
                vocab.len(),
                kept(saved_step)
            ));
        }
        if n % 100 == 0 || n == 1 {
            history.points.push(Point::Train {
                step: n,
                loss: stepper.view().smooth_loss / T as f64,
            });
        }
        screen.status(|| clock.fields(cfg, stepper.view(), last_valid));
        if n % cfg.sample_every == 0 {
            let paused = Instant::now();
            screen.fitted(&clock.fields(cfg, stepper.view(), last_valid));
            // As min-char-rnn: from hprev, seeded with the next window's first input.
            let next = train_part[stepper.view().byte_position()..]
                .chars()
                .next()
                .unwrap_or('\n');
            let x = vocab.encode(next).unwrap_or(0);
            let sample = Sampler::from_state(
                &params,
                vocab,
                &mut rng,
                &stepper.view().hprev,
                x,
                Pick::SAMPLE,
            )
            .map_err(|e| e.to_string())?;
            screen.line(&format!(
                "----\n{}\n----",
                sample.take(200).collect::<String>()
            ));
            if let Some(valid) = periodic {
                if let Some(loss) =
                    validation_loss::<V, H, T>(&params, &valid, &stepper.view().hprev, screen)
                {
                    last_valid = Some(loss);
                    valid_step = Some(n);
                    let is_best = record(&mut history, &mut best, n, loss, valid.len(), screen);
                    if is_best {
                        save(&o.best, &params, stepper.synced(), vocab, &rng, saved_step)?;
                    }
                }
            }
            save_all(
                o,
                &history,
                &params,
                stepper.synced(),
                vocab,
                &rng,
                saved_step,
            )?;
            saved_step = Some((n, &o.checkpoint));
            clock.paused += paused.elapsed();
        }
    };
    screen.clear();
    let n = stepper.view().steps;
    let paused = Instant::now();
    if interrupted {
        screen.line(&format!("interrupted: stopping after step {n}"));
    } else if n > clock.first_step {
        if n % cfg.sample_every != 0 {
            screen.fitted(&clock.fields(cfg, stepper.view(), last_valid));
        }
        if let Some(valid) = periodic.filter(|_| valid_step != Some(n)) {
            if let Some(loss) =
                validation_loss::<V, H, T>(&params, &valid, &stepper.view().hprev, screen)
            {
                let is_best = record(&mut history, &mut best, n, loss, valid.len(), screen);
                if is_best {
                    save(&o.best, &params, stepper.synced(), vocab, &rng, saved_step)?;
                }
            }
        }
        if let Some(valid) = full.filter(|f| f.len() > periodic_chars) {
            if let Some(loss) =
                validation_loss::<V, H, T>(&params, &valid, &stepper.view().hprev, screen)
            {
                history.points.push(Point::Valid {
                    step: n,
                    loss,
                    chars: valid.len(),
                });
                screen.line(&format!(
                    "step {n}: validation loss {loss:.4} nats/char on all {} held-out characters",
                    valid.len()
                ));
            }
        }
    }
    save_all(
        o,
        &history,
        &params,
        stepper.synced(),
        vocab,
        &rng,
        saved_step,
    )?;
    screen.line(&format!("saved {} at step {n}", o.checkpoint));
    if let Some(path) = &cfg.plot {
        let svg = history
            .plot(periodic_chars, full_chars)
            .svg(&format!("{} (H = {H}, T = {T})", cfg.path));
        write_atomic(path, svg.as_bytes()).map_err(|e| format!("cannot write {path}: {e}"))?;
        screen.line(&format!("wrote {path}"));
    }
    clock.paused += paused.elapsed();
    if n > clock.first_step {
        let trained = clock.training_secs();
        screen.line(&format!(
            "trained {} step{} ({} characters) in {}: {:.0} chars/s\nvalidation, samples and \
             saves: {} more",
            n - clock.first_step,
            if n - clock.first_step == 1 { "" } else { "s" },
            (n - clock.first_step).saturating_mul(clock.chars_per_step as u64),
            duration(trained),
            clock.rate(n),
            duration(clock.paused.as_secs_f64())
        ));
    }
    Ok(())
}

/// Adds a validation loss to the history and says it on `screen`; whether
/// it is the lowest yet.
fn record(
    history: &mut History,
    best: &mut Option<f64>,
    step: u64,
    loss: f64,
    chars: usize,
    screen: &mut Screen,
) -> bool {
    history.points.push(Point::Valid { step, loss, chars });
    let is_best = loss.is_finite() && best.is_none_or(|b| loss < b);
    if is_best {
        *best = Some(loss);
    }
    screen.line(&format!(
        "step {step}: validation loss {loss:.4} nats/char{}",
        if is_best { ", the lowest so far" } else { "" }
    ));
    is_best
}

/// Where the time goes: training, and the pauses for samples, validation and saves.
struct Clock {
    started: Instant,
    first_step: u64,
    /// Characters a step reads: T, or T·B for B streams.
    chars_per_step: usize,
    paused: Duration,
}

impl Clock {
    fn new(first_step: u64, chars_per_step: usize) -> Self {
        Clock {
            started: Instant::now(),
            first_step,
            chars_per_step,
            paused: Duration::ZERO,
        }
    }

    /// Seconds spent training, not pausing.
    fn training_secs(&self) -> f64 {
        (self.started.elapsed().saturating_sub(self.paused)).as_secs_f64()
    }

    /// The characters read: all of them in a run from step 0; in a resumed
    /// run, those of this run only (a checkpoint keeps the step count, and
    /// the run it continues may have read another number of windows a step).
    fn chars(&self, step: u64) -> String {
        match self.first_step {
            0 => format!("chars {}", step.saturating_mul(self.chars_per_step as u64)),
            first => format!(
                "chars {} this run",
                (step - first.min(step)).saturating_mul(self.chars_per_step as u64)
            ),
        }
    }

    /// Characters trained on per second of training.
    fn rate(&self, step: u64) -> f64 {
        step.saturating_sub(self.first_step) as f64 * self.chars_per_step as f64
            / self.training_secs().max(1e-9)
    }

    /// The progress line's fields, most important ranked highest.
    fn fields<const V: usize, const H: usize, const T: usize>(
        &self,
        cfg: &Config,
        trainer: &Trainer<f32, V, H, T>,
        valid: Option<f64>,
    ) -> Vec<Field> {
        let n = trainer.steps;
        let secs = self.started.elapsed().as_secs_f64();
        let done = n.saturating_sub(self.first_step);
        // The time left at the pace so far, pauses included.
        let by_steps = cfg
            .steps
            .map(|s| s.saturating_sub(n) as f64 * secs / (done.max(1)) as f64);
        let by_time = cfg.minutes.map(|m| m * 60.0 - secs);
        let eta = match (by_steps, by_time) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let rate = self.rate(n);
        let step = match cfg.steps {
            Some(total) => format!("step {n}/{total}"),
            None => format!("step {n}"),
        };
        let loss = trainer.smooth_loss / T as f64;
        let mut fields = vec![
            Field::only(9, step),
            Field::only(2, self.chars(n)),
            Field::new(8, format!("loss {loss:.4}/char"), format!("loss {loss:.3}")),
            Field::only(1, format!("({:.2}/window)", trainer.smooth_loss)),
        ];
        if let Some(v) = valid {
            fields.push(Field::new(
                4,
                format!("valid {v:.4}"),
                format!("valid {v:.2}"),
            ));
        }
        fields.push(Field::new(
            6,
            format!("{rate:.0} chars/s"),
            format!("{:.0}k chars/s", rate / 1000.0),
        ));
        fields.push(Field::new(
            3,
            format!("elapsed {}", duration(secs)),
            duration(secs),
        ));
        if let Some(eta) = eta {
            fields.push(Field::only(7, format!("ETA {}", duration(eta))));
        }
        fields
    }
}

/// Mean loss per character over `valid`, carrying h across windows, without
/// changing the model; `None` if Ctrl-C came first. A pass longer than a
/// second shows its progress.
///
/// It starts from `h0`, the trainer's hidden state, as sampling does, not
/// from zero: training starts from h = 0 only once, at its first step, so
/// zero is a state the model is never trained from, and from it a model can
/// fall into a state it never leaves (seen on shakespeare.txt, seed 42, with
/// the arithmetic of an earlier build: from zero, 12.7 nats per character
/// after 1,000 steps and 12.0 after 20,000, where the trainer's state gave
/// 2.9 and 2.3).
fn validation_loss<const V: usize, const H: usize, const T: usize>(
    params: &Params<f32, V, H>,
    valid: &Text<'_, V>,
    h0: &[f32; H],
    screen: &mut Screen,
) -> Option<f64> {
    let mut work = common::zeroed::<Workspace<f32, V, H, T>>();
    let (mut xs, mut ys) = ([0; T], [0; T]);
    let (mut byte, mut hprev, mut total, mut chars) = (0, *h0, 0.0f64, 0usize);
    let n = valid.vocab().len();
    let started = Instant::now();
    let mut told = started;
    let mut windows = 0u64;
    while let Some(next) = valid.window(byte, &mut xs, &mut ys) {
        total += forward(params, n, &xs, &ys, &hprev, &mut work).unwrap_or(f32::NAN) as f64;
        hprev = work.hs[T - 1].0;
        chars += T;
        byte = next;
        windows += 1;
        if windows % 64 == 0 {
            if stopping() {
                screen.line(&format!(
                    "interrupted: validation stopped after {chars} of {} characters",
                    valid.len()
                ));
                return None;
            }
            let secs = started.elapsed().as_secs_f64();
            if secs >= 1.0 {
                let fraction = chars as f64 / valid.len() as f64;
                let fields = || {
                    vec![
                        Field::only(9, "validating"),
                        Field::only(8, format!("{:.0}%", 100.0 * fraction)),
                        Field::only(2, format!("{chars} of {} characters", valid.len())),
                        Field::only(7, format!("ETA {}", duration(secs / fraction - secs))),
                    ]
                };
                if screen.tty() {
                    screen.status(fields);
                } else if told.elapsed() >= Duration::from_secs(10) {
                    told = Instant::now();
                    screen.fitted(&fields());
                }
            }
        }
    }
    screen.clear();
    Some(total / chars.max(1) as f64)
}

/// Saves the loss history and the checkpoint, in that order: a run stopped
/// between the two leaves a history ahead of its checkpoint, which a resume
/// cuts back to the checkpoint's step.
///
/// `saved_step` is the last save, for the message if this state cannot be
/// saved (see [`kept`]).
fn save_all<const V: usize, const H: usize, const T: usize>(
    o: &Outputs,
    history: &History,
    params: &Params<f32, V, H>,
    trainer: &Trainer<f32, V, H, T>,
    vocab: &Vocab<V>,
    rng: &Rng,
    saved_step: Option<(u64, &String)>,
) -> Result<(), String> {
    let bytes = checkpoint_bytes(params, trainer, vocab, rng, saved_step)?;
    write_atomic(&o.history, history.to_csv().as_bytes())
        .map_err(|e| format!("cannot write the loss history {}: {e}", o.history))?;
    write_checkpoint(&o.checkpoint, &bytes)
}

/// Saves a checkpoint to `path` (see [`save_all`] for `saved_step`).
fn save<const V: usize, const H: usize, const T: usize>(
    path: &str,
    params: &Params<f32, V, H>,
    trainer: &Trainer<f32, V, H, T>,
    vocab: &Vocab<V>,
    rng: &Rng,
    saved_step: Option<(u64, &String)>,
) -> Result<(), String> {
    let bytes = checkpoint_bytes(params, trainer, vocab, rng, saved_step)?;
    write_checkpoint(path, &bytes)
}

/// Writes a checkpoint's bytes to `path` ([`write_atomic`]).
fn write_checkpoint(path: &str, bytes: &[u8]) -> Result<(), String> {
    write_atomic(path, bytes).map_err(|e| format!("cannot write checkpoint {path}: {e}"))
}

/// The checkpoint of this state. A state whose parameters have grown past
/// what a checkpoint may hold has diverged: that error, and what the
/// checkpoint still holds ([`kept`]).
fn checkpoint_bytes<const V: usize, const H: usize, const T: usize>(
    params: &Params<f32, V, H>,
    trainer: &Trainer<f32, V, H, T>,
    vocab: &Vocab<V>,
    rng: &Rng,
    saved_step: Option<(u64, &String)>,
) -> Result<Vec<u8>, String> {
    let mut buf = vec![0u8; checkpoint_size::<f32, V, H, T>()];
    match save_checkpoint(params, trainer, vocab, rng, &mut buf) {
        Ok(_) => Ok(buf),
        Err(e @ Error::ParametersOutOfRange { .. }) => Err(format!("{e}; {}", kept(saved_step))),
        Err(e) => Err(e.to_string()),
    }
}

/// A learning rate as a person writes it: 0.1, 0.002, 1e37, 1e-50.
fn rate(r: f64) -> String {
    if r != 0.0 && !(1e-4..1e6).contains(&r.abs()) {
        format!("{r:e}")
    } else {
        format!("{r}")
    }
}

/// What the checkpoint holds, for a message that stops a run: the last step
/// saved by this run (or the one it resumed from), if any.
fn kept(saved_step: Option<(u64, &String)>) -> String {
    match saved_step {
        Some((step, file)) => format!("{file} keeps step {step}, the last saved"),
        None => "this run saved nothing".into(),
    }
}

/// Writes `bytes` to `path.tmp`, flushes it to the disk, then renames it to
/// `path`, so that a crash or a full disk never leaves half a file in place
/// of the last good one; a failed write leaves no `.tmp` behind.
fn write_atomic(path: &str, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = format!("{path}.tmp");
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return written;
    }
    // The rename is durable once the folder is: sync it too (where a folder
    // can be opened, as on Linux).
    let dir = std::path::Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new trainer, learning rate 0.1 (as `train` sets it).
    fn new_trainer() -> Box<Trainer<f32, 32, 8, 4>> {
        let mut t = common::zeroed::<Trainer<f32, 32, 8, 4>>();
        t.adagrad.set_learning_rate(0.1).unwrap();
        t
    }

    const TEXT: &str = "the quick brown fox jumps over the lazy dog; the lazy dog sleeps on. \
                        a fox, a dog, and the long way round the garden wall again.";

    /// A scratch folder of its own for a test.
    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("train-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A save replaces the file whole and leaves no temporary file.
    #[test]
    fn atomic_write_replaces_and_cleans_up() {
        let dir = scratch("atomic");
        let path = dir.join("a.ckpt");
        let p = path.to_str().unwrap();
        std::fs::write(&path, b"old").unwrap();
        write_atomic(p, b"new contents").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new contents");
        assert!(!dir.join("a.ckpt.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A full disk in the middle of a save (the temporary file is a link to
    /// /dev/full, where every write fails with "no space left on device"):
    /// the save fails, the previous file is untouched, and no `.tmp` is left.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_disk_keeps_the_previous_file() {
        let dir = scratch("full");
        let path = dir.join("a.ckpt");
        let p = path.to_str().unwrap();
        std::fs::write(&path, b"the last good checkpoint").unwrap();
        std::os::unix::fs::symlink("/dev/full", dir.join("a.ckpt.tmp")).unwrap();
        let e = write_atomic(p, &[1u8; 1 << 16]).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28), "ENOSPC: {e}");
        assert_eq!(std::fs::read(&path).unwrap(), b"the last good checkpoint");
        assert!(
            std::fs::symlink_metadata(dir.join("a.ckpt.tmp")).is_err(),
            ".tmp left"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A save whose rename fails (the target is a folder) leaves the target
    /// as it was and no `.tmp`.
    #[test]
    fn a_failed_rename_leaves_no_tmp() {
        let dir = scratch("rename");
        let target = dir.join("taken");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"x").unwrap();
        assert!(write_atomic(target.to_str().unwrap(), b"data").is_err());
        assert_eq!(std::fs::read(target.join("inside")).unwrap(), b"x");
        assert!(!dir.join("taken.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// A vocabulary of `TEXT` that lives as long as the tests, as the
    /// `'static` text `Streams` takes needs.
    fn leaked_vocab() -> &'static Vocab<32> {
        Box::leak(Box::new(Vocab::<32>::from_text(TEXT).unwrap()))
    }

    /// Two threads of two streams train as one thread of four does, through
    /// `Shards` and its channels: 40 steps, f32 losses within 1e−5, the same
    /// place and step count (the library's test compares them in f64).
    #[test]
    fn two_threads_train_as_one() {
        let vocab = leaked_vocab();
        let text = Text::new(vocab, TEXT).unwrap();
        let mut p1 = common::zeroed::<Params<f32, 32, 8>>();
        p1.init_for(vocab.len(), &mut Rng::new(3)).unwrap();
        let mut p2 = p1.clone();
        let mut one =
            <Streams<32, 8, 4, 4> as Stepper<32, 8, 4>>::start(new_trainer(), &text, 1).unwrap();
        let mut two =
            <Streams<32, 8, 4, 2> as Stepper<32, 8, 4>>::start(new_trainer(), &text, 2).unwrap();
        for _ in 0..40 {
            let a = one.step(&mut p1, &text).unwrap();
            let b = two.step(&mut p2, &text).unwrap();
            assert!((a - b).abs() <= 1e-5 * a.abs(), "{a} vs {b}");
            assert_eq!(one.view().position, two.view().position);
            assert_eq!(one.view().steps, two.view().steps);
        }
        assert_eq!(two.synced().steps, 40);
    }

    /// The loop's view of one stream through `Streams` is the one-stream
    /// trainer, field for field, through the rewind at the text's end; and a
    /// save holds what the trainer's would.
    #[test]
    fn one_stream_view_is_the_trainer() {
        let vocab = leaked_vocab();
        let text = Text::new(vocab, TEXT).unwrap();
        let mut p1 = common::zeroed::<Params<f32, 32, 8>>();
        p1.init_for(vocab.len(), &mut Rng::new(3)).unwrap();
        let mut p2 = p1.clone();
        let mut one = new_trainer();
        let mut streams =
            <Streams<32, 8, 4, 1> as Stepper<32, 8, 4>>::start(new_trainer(), &text, 1).unwrap();
        for _ in 0..100 {
            let a = Stepper::step(&mut *one, &mut p1, &text).unwrap();
            let b = streams.step(&mut p2, &text).unwrap();
            assert_eq!(a.to_bits(), b.to_bits());
            let v = streams.view();
            assert_eq!(
                (
                    v.steps,
                    v.smooth_loss,
                    v.hprev,
                    v.position,
                    v.byte_position()
                ),
                (
                    one.steps,
                    one.smooth_loss,
                    one.hprev,
                    one.position,
                    one.byte_position()
                )
            );
        }
        assert_eq!(p1, p2);
        assert_eq!(streams.synced().adagrad, one.adagrad);
        let mut a = vec![0u8; checkpoint_size::<f32, 32, 8, 4>()];
        let mut b = a.clone();
        let rng = Rng::new(1);
        save_checkpoint(&p1, &one, &vocab, &rng, &mut a).unwrap();
        save_checkpoint(&p2, streams.synced(), &vocab, &rng, &mut b).unwrap();
        assert_eq!(a, b);
    }

    /// Four streams: a checkpoint of the view resumes stream 0 where it was,
    /// with its state, Adagrad and the counters.
    #[test]
    fn streams_checkpoint_resumes() {
        let vocab = leaked_vocab();
        let text = Text::new(vocab, TEXT).unwrap();
        let mut params = common::zeroed::<Params<f32, 32, 8>>();
        params.init_for(vocab.len(), &mut Rng::new(3)).unwrap();
        let mut s =
            <Streams<32, 8, 4, 4> as Stepper<32, 8, 4>>::start(new_trainer(), &text, 1).unwrap();
        for _ in 0..3 {
            s.step(&mut params, &text).unwrap();
        }
        let mut buf = vec![0u8; checkpoint_size::<f32, 32, 8, 4>()];
        save_checkpoint(&params, s.synced(), &vocab, &Rng::new(1), &mut buf).unwrap();
        let (mut p, mut t, mut rng) = (
            common::zeroed::<Params<f32, 32, 8>>(),
            common::zeroed::<Trainer<f32, 32, 8, 4>>(),
            Rng::new(0),
        );
        load_checkpoint(&buf, &mut p, &mut t, &mut rng).unwrap();
        assert_eq!((t.steps, t.hprev, t.position), (3, s.first().hprevs[0], 12));
        assert_eq!(t.adagrad, s.first().adagrad);
        let r = <Streams<32, 8, 4, 4> as Stepper<32, 8, 4>>::start(t, &text, 1).unwrap();
        assert_eq!(r.first().streams[0], s.first().streams[0]);
        assert_eq!(r.first().hprevs[0], s.first().hprevs[0]);
        assert_eq!((r.view().steps, r.view().position), (3, 12));
        assert!(
            <Streams<32, 8, 4, 32> as Stepper<32, 8, 4>>::start(new_trainer(), &text, 1)
                .is_err_and(|e| e.to_string().contains("too few for 32 streams"))
        );
    }

    #[test]
    fn batch_unsupported_names_what_is_off() {
        let e = batch_unsupported(8, 256, 128, 50);
        assert!(e.starts_with("--batch 8: minibatches are compiled for f32 with V = 96, T = 25"));
        assert!(e.contains("H = 100, 256, 512 only"));
        assert!(
            e.contains("V = 256") && e.contains("--hidden is 128") && e.contains("--seq is 50")
        );
        assert!(!batch_unsupported(32, 96, 100, 50).contains("--hidden"));
    }
}
