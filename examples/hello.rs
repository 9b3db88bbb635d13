//! The front door: an RNN learns the word "hello", then says it back.
//!
//!     cargo run --example hello
//!
//! Four symbols (e h l o), a window of four steps (inputs "hell", targets "ello"),
//! sixteen hidden units. The only hard part is the second 'l': after "l" comes
//! "l" the first time and "o" the second, so the hidden state must remember how
//! far into the word it is.

// ANCHOR: hello
use min_char_rnn::{Error, Params, Pick, Rng, Sampler, Text, Trainer, Vocab};

const V: usize = 4; // vocab_size: e h l o
const H: usize = 16; // hidden_size
const T: usize = 4; // seq_length

fn main() -> Result<(), Error> {
    let vocab = Vocab::<V>::from_text("hello")?;
    let text = Text::new(&vocab, "hello")?;
    println!("vocabulary: {:?}", vocab.symbols());

    let mut rng = Rng::new(42);
    let mut params = Params::<f32, V, H>::new(&mut rng); // weights ~ N(0, 0.01²)
    let mut trainer = Trainer::<f32, V, H, T>::new(); //    Adagrad, learning rate 0.1

    for step in 1..=300 {
        let loss = trainer.step(&mut params, &text)?; // forward, BPTT, clip, Adagrad
        if step == 1 || step % 50 == 0 {
            let smooth = trainer.smooth_loss; // 0.999·smooth + 0.001·loss, as min-char-rnn
            println!("step {step:>3}  loss {loss:.4} nats/window  smooth {smooth:.4}");
        }
    }

    // Feed 'h' and let the model continue with its most likely characters.
    let tail: String = Sampler::new(&params, &vocab, &mut rng, "h", Pick::Argmax)?
        .take(4)
        .collect();
    println!("from 'h' the model writes: h{tail}");
    if tail == "ello" {
        println!("it learned \"hello\"");
        Ok(())
    } else {
        eprintln!("it has not learned \"hello\" yet");
        std::process::exit(1);
    }
}
// ANCHOR_END: hello
