#!/usr/bin/env bash
# Builds the crate for the browser and puts it where the book's page "Train it
# here" loads it: book/src/browser/min_char_rnn.wasm (built, not committed).
# `mdbook build book` then copies it into the book. Idempotent.
#   PROFILE=small bash examples/browser/build.sh   # optimised for size instead
set -euo pipefail
cd "$(dirname "$0")"
profile=${PROFILE:-release}
rustup target list --installed | grep -qx wasm32-unknown-unknown \
  || rustup target add wasm32-unknown-unknown
cargo build --quiet --lib --profile "$profile" --target wasm32-unknown-unknown
out=target/wasm32-unknown-unknown/$profile/min_char_rnn_browser.wasm
cp "$out" ../../book/src/browser/min_char_rnn.wasm
echo "examples/browser: $(stat -c %s "$out") bytes ($profile) -> book/src/browser/min_char_rnn.wasm"
