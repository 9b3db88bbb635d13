//! Training throughput, comparable line for line with a C transcription of
//! min-char-rnn's loop: same loop, same data, one thread, batch 1; or, with
//! `--batch B`, of minibatch training (B streams, `BatchTrainer`).
//!
//!     cargo run --release --example bench -- --data examples/data/shakespeare.txt \
//!         --hidden 100 --iters 20000 [--f64]
//!
//! Prints the smooth loss every 1000 iterations and `chars/s N` last.

#[path = "common/mod.rs"]
mod common;

use std::time::Instant;

use common::Args;
use common::shards::Shards;
use min_char_rnn::engine::FastFloat;
use min_char_rnn::{BatchTrainer, Params, Rng, Text, Trainer, Vocab};

const USAGE: &str = "\
usage: cargo run --release --example bench -- --data PATH [options]

Trains on a text of 65 or 76 distinct characters (tiny-shakespeare,
examples/data/shakespeare.txt) and prints chars/s last.

options [default]:
  --data PATH    the text (required)
  --hidden H     64, 100, 256 or 512 [100]
  --iters N      training steps of seq_length 25 [20000]
  --seed S       [42]
  --f64          train in f64 instead of f32
  --reference    train with the teaching layer (Trainer::step_reference), not
                 the engine
  --batch B      B streams at once (BatchTrainer): 1, 8, 16, 32 or 64 [1]; f32,
                 H = 100, 256 or 512; an iteration is then B windows
  --threads K    share the B streams among K threads (cores) [1]; B / K must
                 be 1 to 64 at H = 100, 8 to 64 at H = 256 or 512 (a power of 2)
  -h, --help     this help
  -V, --version  the version";

fn main() {
    let args = Args::parse(
        "bench",
        USAGE,
        &["data", "hidden", "iters", "seed", "batch", "threads"],
        &["f64", "reference"],
    );
    let run = || -> Result<(), String> {
        let path: String = args.get("data")?.ok_or("--data PATH is required")?;
        let hidden: usize = args.get("hidden")?.unwrap_or(100);
        let iters: u64 = args.get("iters")?.unwrap_or(20000);
        let seed: u64 = args.get("seed")?.unwrap_or(42);
        let reference = args.has("reference");
        let batch: usize = args.get("batch")?.unwrap_or(1);
        let text = common::read_text(&path)?;
        let v = common::distinct_chars(&text);
        let threads: usize = args.get("threads")?.unwrap_or(1);
        if threads == 0 || batch % threads != 0 {
            return Err(format!(
                "--threads {threads}: must be at least 1 and divide --batch {batch}"
            ));
        }
        if batch != 1 || threads != 1 {
            if args.has("f64") {
                return Err("--batch runs in f32 only".to_string());
            }
            if reference && threads != 1 {
                return Err("--reference runs on one thread".to_string());
            }
            let per_thread = batch / threads;
            macro_rules! streams {
                ($(($vv:literal, $hh:literal, $ss:literal))*) => {
                    match (v, hidden, per_thread) {
                        $( ($vv, $hh, $ss) => bench_batch::<$vv, $hh, $ss>(&text, iters, seed, reference, threads), )*
                        _ => Err(format!(
                            "no minibatch benchmark compiled for V = {v}, H = {hidden}, B = {batch} \
                             on {threads} threads: V must be 76 (shakespeare.txt), and B / threads \
                             1, 2, 4, 8, 16, 32 or 64 at H = 100, 8, 16, 32 or 64 at H = 256 or 512"
                        )),
                    }
                };
            }
            return streams!((76, 100, 1)(76, 100, 2)(76, 100, 4)(76, 100, 8)(
                76, 100, 16
            )(76, 100, 32)(76, 100, 64)(76, 256, 8)(
                76, 256, 16
            )(76, 256, 32)(76, 256, 64)(76, 512, 8)(
                76, 512, 16
            )(76, 512, 32)(76, 512, 64));
        }
        macro_rules! go {
            ($(($vv:literal, $hh:literal))*) => {
                match (v, hidden, args.has("f64")) {
                    $(
                        ($vv, $hh, false) => bench::<f32, $vv, $hh>(&text, iters, seed, reference),
                        ($vv, $hh, true) => bench::<f64, $vv, $hh>(&text, iters, seed, reference),
                    )*
                    _ => Err(format!(
                        "no benchmark compiled for V = {v}, H = {hidden}: V must be 65 or 76 \
                         (tiny-shakespeare, shakespeare.txt), H one of 64, 100, 256, 512"
                    )),
                }
            };
        }
        go!((65, 64)(65, 100)(65, 256)(65, 512)(76, 64)(76, 100)(
            76, 256
        )(76, 512))
    };
    if let Err(e) = run() {
        args.fail(e);
    }
}

fn bench<F: FastFloat, const V: usize, const H: usize>(
    text: &str,
    iters: u64,
    seed: u64,
    reference: bool,
) -> Result<(), String> {
    const T: usize = 25;
    let vocab = Vocab::<V>::from_text(text).map_err(|e| e.to_string())?;
    let data = Text::new(&vocab, text).map_err(|e| e.to_string())?;
    let mut params = common::zeroed::<Params<F, V, H>>();
    params.init(&mut Rng::new(seed));
    let mut trainer = common::zeroed::<Trainer<F, V, H, T>>();
    println!(
        "min-char-rnn bench: {} V={V} H={H} T={T} iters={iters}",
        F::NAME
    );
    timed(iters, T, 1000, || {
        let step = if reference {
            trainer.step_reference(&mut params, &data)
        } else {
            trainer.step(&mut params, &data)
        };
        step.map(|_| trainer.smooth_loss).map_err(|e| e.to_string())
    })
}

/// Runs `step` `iters` times, printing the smoothed loss it returns every
/// `every` steps, then the time and chars/s (`chars` characters a step).
fn timed(
    iters: u64,
    chars: usize,
    every: u64,
    mut step: impl FnMut() -> Result<f64, String>,
) -> Result<(), String> {
    let start = Instant::now();
    for n in 1..=iters {
        let smooth_loss = step()?;
        if n % every == 0 {
            println!("iter {n} smooth_loss {smooth_loss:.4}");
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("elapsed {secs:.3} s for {iters} iters of {chars} characters");
    println!("chars/s {:.1}", (iters * chars as u64) as f64 / secs);
    Ok(())
}

/// `bench` for minibatches: `iters` steps of `threads · S` windows each,
/// `S` streams per thread.
fn bench_batch<const V: usize, const H: usize, const S: usize>(
    text: &str,
    iters: u64,
    seed: u64,
    reference: bool,
    threads: usize,
) -> Result<(), String> {
    const T: usize = 25;
    let vocab = Vocab::<V>::from_text(text).map_err(|e| e.to_string())?;
    let data = Text::new(&vocab, text).map_err(|e| e.to_string())?;
    let mut params = common::zeroed::<Params<f32, V, H>>();
    params.init(&mut Rng::new(seed));
    let b = S * threads;
    println!("min-char-rnn bench: f32 V={V} H={H} T={T} B={b} threads={threads} iters={iters}");
    if std::thread::available_parallelism().is_ok_and(|cores| threads > cores.get()) {
        println!("note: more threads than this machine runs at once: they wait for each other");
    }
    if threads > 1 {
        let mut shards = Shards::<V, H, T, S>::new(&data, threads).map_err(|e| e.to_string())?;
        return timed(iters, T * b, 100, || {
            let step = shards.step(&mut params);
            step.map(|_| shards.shards[0].smooth_loss)
                .map_err(|e| e.to_string())
        });
    }
    let mut trainer = common::zeroed::<BatchTrainer<f32, V, H, T, S>>();
    timed(iters, T * b, 100, || {
        let step = if reference {
            trainer.step_reference(&mut params, &data)
        } else {
            trainer.step(&mut params, &data)
        };
        step.map(|_| trainer.smooth_loss).map_err(|e| e.to_string())
    })
}
