//! The examples' shared code under `cargo test`: the flag parser, the text
//! checks and their messages, the progress line's fitting, the loss history
//! and the plot. (An example's own tests would run only with `cargo test
//! --examples`; this target runs with every `cargo test`.)

#[path = "mod.rs"]
mod common;
#[path = "plot.rs"]
mod plot;
