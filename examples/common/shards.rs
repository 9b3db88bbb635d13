//! Minibatch training on several cores: `K` shards of `S` streams, each a
//! `BatchTrainer` on its own part of the text, run their halves of a step
//! (`BatchTrainer::gradients`) on `K` threads; one `BatchTrainer::finish`
//! then makes the update. Together they train `B = K·S` streams as one
//! `BatchTrainer` of `B` streams does (`tests/batch.rs`). The library has no
//! threads (it runs without an operating system); this is where they live.
//!
//! Shard 0 runs on the calling thread; each other shard has a thread of its
//! own for the whole run. Such a thread cannot borrow the parameters (it
//! outlives every borrow the loop could lend it), so a step copies them into
//! the worker's own buffer (4P bytes: 101 KB at V = 76, H = 100) and sends
//! the worker that buffer and its shard (boxed: only pointers move), and
//! takes both back. No data is shared between threads, no data is locked,
//! and nothing is allocated per step.

use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

use min_char_rnn::{BatchTrainer, Error, Params, Text, Trainer};

type Shard<const V: usize, const H: usize, const T: usize, const S: usize> =
    BatchTrainer<f32, V, H, T, S>;

/// A step's work, sent to a worker and back: its shard, its copy of the
/// parameters, and what `gradients` returned.
struct Job<const V: usize, const H: usize, const T: usize, const S: usize> {
    shard: Box<Shard<V, H, T, S>>,
    params: Box<Params<f32, V, H>>,
    result: Result<f32, Error>,
}

/// A thread that runs `gradients` for one shard, step after step.
struct Worker<const V: usize, const H: usize, const T: usize, const S: usize> {
    to: Option<SyncSender<Job<V, H, T, S>>>,
    from: Receiver<Job<V, H, T, S>>,
    /// Its copy of the parameters, here between steps.
    params: Option<Box<Params<f32, V, H>>>,
    thread: Option<JoinHandle<()>>,
}

/// `K` shards of `S` streams, `K` given at run time (`--threads`).
pub struct Shards<'t, const V: usize, const H: usize, const T: usize, const S: usize> {
    /// The shards, in order, between steps: shard 0 holds Adagrad's memory
    /// and reads the start of the text (its stream 0 is the one a checkpoint
    /// keeps); shard k reads what streams k·S .. (k+1)·S of one trainer of
    /// K·S streams would ([`BatchTrainer::shard_part`]).
    pub shards: Vec<Box<Shard<V, H, T, S>>>,
    /// Shard 0's part of the text.
    first_part: Text<'t, V>,
    workers: Vec<Worker<V, H, T, S>>,
}

impl<'t, const V: usize, const H: usize, const T: usize, const S: usize> Shards<'t, V, H, T, S> {
    /// `threads` shards at step 0 (`threads` − 1 worker threads started),
    /// shard k on [`BatchTrainer::shard_part`]`(text, k, threads)`.
    ///
    /// Errors: [`Error::TextTooShortForStreams`] if a stream's part of the
    /// text would be shorter than `T + 1` characters.
    pub fn new(text: &Text<'t, V>, threads: usize) -> Result<Self, Error> {
        let threads = threads.max(1);
        let streams = threads * S;
        let too_short = Error::TextTooShortForStreams {
            chars: text.len(),
            streams,
            needed: streams.saturating_mul(T + 1),
        };
        if text.len() / streams < T + 1 {
            return Err(too_short);
        }
        let part = |k| Shard::<V, H, T, S>::shard_part(text, k, threads).ok_or(too_short);
        let workers = (1..threads).map(|k| Ok(Worker::start(k, &part(k)?)));
        Ok(Shards {
            shards: (0..threads).map(|_| super::zeroed()).collect(),
            first_part: part(0)?,
            workers: workers.collect::<Result<_, Error>>()?,
        })
    }

    /// Continues from a one-stream state, new or a loaded checkpoint, as
    /// [`BatchTrainer::resume`] does: shard 0 takes it over (Adagrad, the
    /// counters, and stream 0's place and `hprev`); the other shards take the
    /// counters and start their parts with h = 0.
    ///
    /// Errors: [`Error::TextTooShortForStreams`].
    pub fn resume(&mut self, trainer: &Trainer<f32, V, H, T>) -> Result<(), Error> {
        self.shards[0].resume(trainer, &self.first_part)?;
        for shard in &mut self.shards[1..] {
            shard.steps = trainer.steps;
            shard.smooth_loss = trainer.smooth_loss;
        }
        Ok(())
    }

    /// The streams in all: `K·S`.
    pub fn streams(&self) -> usize {
        self.shards.len() * S
    }

    /// One step of all `K·S` streams: each shard's gradients on its own
    /// thread (shard 0 on this one), then one update. Returns the mean
    /// window loss. Errors: as [`BatchTrainer::step`].
    pub fn step(&mut self, params: &mut Params<f32, V, H>) -> Result<f32, Error> {
        // Send shards K−1, …, 1 (popped from the end), then work on shard 0.
        for worker in self.workers.iter_mut().rev() {
            let shard = self.shards.pop().expect("a shard per worker");
            let mut copy = worker.params.take().expect("the worker's parameters");
            for (to, from) in copy.tensors_mut().into_iter().zip(params.tensors()) {
                to.copy_from_slice(from);
            }
            let job = Job {
                shard,
                params: copy,
                result: Ok(0.0),
            };
            let to = worker.to.as_ref().expect("a running worker");
            to.send(job).expect("a shard's thread stopped");
        }
        let mut result = self.shards[0].gradients(params, &self.first_part).map(drop);
        for worker in &mut self.workers {
            let job = wait(&worker.from).expect("a shard's thread stopped");
            worker.params = Some(job.params);
            self.shards.push(job.shard);
            result = result.and(job.result.map(drop));
        }
        result?;
        BatchTrainer::finish(&mut self.shards, params)
    }
}

impl<const V: usize, const H: usize, const T: usize, const S: usize> Worker<V, H, T, S> {
    /// A thread for shard `k`, reading `part` (copied: the thread owns it).
    fn start(k: usize, part: &Text<'_, V>) -> Self {
        let (to, jobs) = sync_channel::<Job<V, H, T, S>>(1);
        let (done, from) = sync_channel::<Job<V, H, T, S>>(1);
        let (vocab, source) = (part.vocab().clone(), part.as_str().to_string());
        let thread = std::thread::Builder::new()
            .name(format!("shard {k}"))
            .spawn(move || {
                let text = Text::new(&vocab, &source);
                while let Ok(mut job) = wait(&jobs) {
                    job.result = match &text {
                        Ok(text) => job.shard.gradients(&job.params, text),
                        Err(e) => Err(*e), // never: a part of a checked text
                    };
                    if done.send(job).is_err() {
                        break;
                    }
                }
            })
            .expect("a thread for a shard");
        Worker {
            to: Some(to),
            from,
            params: Some(super::zeroed()),
            thread: Some(thread),
        }
    }
}

impl<const V: usize, const H: usize, const T: usize, const S: usize> Drop for Worker<V, H, T, S> {
    /// Closes the worker's channel, so that its loop ends, and waits for it.
    fn drop(&mut self) {
        drop(self.to.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The next message on `from`: tried in a tight loop for a while first, as
/// the other side is usually a few microseconds away (a step of B = 8 on two
/// threads takes about 0.25 ms, and waking a sleeping thread costs tens of
/// microseconds), then waited for asleep.
fn wait<M>(from: &Receiver<M>) -> Result<M, std::sync::mpsc::RecvError> {
    for _ in 0..SPINS {
        match from.try_recv() {
            Ok(m) => return Ok(m),
            Err(TryRecvError::Empty) => std::hint::spin_loop(),
            Err(TryRecvError::Disconnected) => break,
        }
    }
    from.recv()
}

/// Tries before sleeping: of the order of a millisecond.
const SPINS: usize = 50_000;
