//! The library never touches the heap: a counting global allocator sees zero
//! allocations across vocabulary building, initialisation, training and sampling.
//! (The library is `#![no_std]` without `alloc`, so it cannot even name the heap;
//! this test keeps that true of everything it calls, std's `fmt` included.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use min_char_rnn::{Params, Pick, Rng, Sampler, Text, Trainer, Vocab};

struct Counting;

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn bump() {
    // try_with: the allocator may run while thread-locals are being torn down.
    let _ = ARMED.try_with(|armed| {
        if armed.get() {
            COUNT.with(|c| c.set(c.get() + 1));
        }
    });
}

// SAFETY: forwards to the system allocator unchanged; only counts calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and counts the allocations made on this thread meanwhile.
fn count_allocations<R>(f: impl FnOnce() -> R) -> (R, usize) {
    COUNT.with(|c| c.set(0));
    ARMED.with(|a| a.set(true));
    let result = f();
    ARMED.with(|a| a.set(false));
    (result, COUNT.with(|c| c.get()))
}

#[test]
fn the_counter_sees_an_allocation() {
    let (_, n) = count_allocations(|| std::hint::black_box(vec![1u8; 10]));
    assert!(n >= 1);
}

#[test]
fn vocab_init_training_and_sampling_do_not_allocate() {
    const SOURCE: &str =
        "It is a tale told by an idiot, full of sound and fury, signifying nothing.";
    // Big state is made outside the counted region (boxed to spare the test
    // thread's stack); everything the library does with it is counted.
    let mut params = Box::new(Params::<f32, 32, 24>::ZERO);
    let mut trainer = Box::new(Trainer::<f32, 32, 24, 10>::ZERO);
    let mut sample = ['\0'; 40];
    let (loss, n) = count_allocations(|| {
        let vocab = Vocab::<32>::from_text(SOURCE).unwrap();
        let text = Text::new(&vocab, SOURCE).unwrap();
        let mut rng = Rng::new(5);
        params.init(&mut rng);
        trainer.reset();
        let mut loss = 0.0;
        for _ in 0..100 {
            loss = trainer.step(&mut params, &text).unwrap(); // the engine
        }
        for _ in 0..10 {
            loss = trainer.step_reference(&mut params, &text).unwrap(); // the teaching layer
        }
        let sampler = Sampler::new(&params, &vocab, &mut rng, "It is", Pick::SAMPLE).unwrap();
        for (slot, c) in sample.iter_mut().zip(sampler) {
            *slot = c;
        }
        loss
    });
    assert!(loss.is_finite());
    assert!(sample.iter().all(|&c| c != '\0'));
    assert_eq!(n, 0, "the library allocated {n} times");
}

#[test]
fn minibatch_training_does_not_allocate() {
    const SOURCE: &str = "It is a tale told by an idiot, full of sound and fury, signifying \
                          nothing. Out, out, brief candle! Life's but a walking shadow.";
    let mut params = Box::new(Params::<f32, 40, 24>::ZERO);
    let mut trainer = Box::new(min_char_rnn::BatchTrainer::<f32, 40, 24, 8, 4>::ZERO);
    let (loss, n) = count_allocations(|| {
        let vocab = Vocab::<40>::from_text(SOURCE).unwrap();
        let text = Text::new(&vocab, SOURCE).unwrap();
        params.init(&mut Rng::new(6));
        let mut loss = 0.0;
        for _ in 0..50 {
            loss = trainer.step(&mut params, &text).unwrap(); // the engine
        }
        for _ in 0..5 {
            loss = trainer.step_reference(&mut params, &text).unwrap(); // the teaching layer
        }
        loss
    });
    assert!(loss.is_finite());
    assert_eq!(n, 0, "minibatch training allocated {n} times");
}
