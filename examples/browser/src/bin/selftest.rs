//! The page's self-test, natively: prints the line the page must show
//! (`cargo run --release --bin selftest -- 300`). CI compares the two, so the
//! losses printed in the browser are checked against this machine's to the
//! last digit of f32.
//!
//! `selftest --bench STEPS TEXT_FILE` instead trains the page's Shakespeare
//! model (H = 100, T = 25) for STEPS steps and prints chars/s, as the page's
//! `?autorun=STEPS&text=shakespeare` does in a browser.

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, steps, file] = args.as_slice()
        && flag == "--bench"
    {
        bench(steps, file);
        return;
    }
    let steps = args
        .first()
        .map_or(Ok(300), |s| s.parse::<u32>())
        .unwrap_or_else(|e| fail(&format!("the number of steps: {e}")));
    let line = min_char_rnn_browser::selftest(steps);
    println!("{line}");
    if !line.starts_with("selftest ok") {
        std::process::exit(1);
    }
}

fn bench(steps: &str, file: &str) {
    let steps: u32 = steps
        .parse()
        .unwrap_or_else(|e| fail(&format!("the number of steps: {e}")));
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| fail(&format!("{file}: {e}")));
    let mut s = min_char_rnn_browser::start_session(&text, 100, 25, 42, 0.1)
        .unwrap_or_else(|e| fail(&e.to_string()));
    let t0 = Instant::now();
    s.train(steps).unwrap_or_else(|e| fail(&e.to_string()));
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "native: {steps} steps, loss {:.4}, {:.0} chars/s",
        s.smooth_loss(),
        f64::from(steps) * 25.0 / secs
    );
}

fn fail(message: &str) -> ! {
    eprintln!("selftest: {message}");
    std::process::exit(2)
}
