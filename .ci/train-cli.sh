#!/usr/bin/env bash
# The train example never loses a user's work: each case below fails this
# script if the example destroys a file it should not, saves nothing where it
# should, or fails late. Run by .ci/test after `cargo test` (which builds the
# examples); takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --example train --example sample
train=target/debug/examples/train
sample=target/debug/examples/sample
dir=$(mktemp -d)
logs=$(mktemp -d)
trap 'rm -rf "$dir" "$logs"' EXIT
head -c 20000 examples/data/macbeth.txt > "$dir/text.txt"
fail() { echo "train-cli: FAILED: $*" >&2; exit 1; }

# expect_refusal DESCRIPTION MESSAGE-PART COMMAND...: exits non-zero at once,
# saying MESSAGE-PART, and writes nothing.
expect_refusal() {
  local what=$1 message=$2
  shift 2
  local before after
  before=$(ls -l --time-style=+%s.%N "$dir" | md5sum)
  if "$@" > "$logs/out.log" 2>&1; then fail "$what: exited 0"; fi
  grep -qF -- "$message" "$logs/out.log" || { cat "$logs/out.log"; fail "$what: no '$message'"; }
  after=$(ls -l --time-style=+%s.%N "$dir" | md5sum)
  [ "$before" = "$after" ] || fail "$what: a file changed"
  echo "ok: $what: $(tail -n 1 "$logs/out.log")"
}

"$train" "$dir/text.txt" --steps 200 --checkpoint "$dir/old.ckpt" --sample-every 100 > /dev/null
old=$(md5sum < "$dir/old.ckpt")

expect_refusal "an existing checkpoint, no --resume" "exists, and this run does not start from it" \
  "$train" "$dir/text.txt" --steps 10 --checkpoint "$dir/old.ckpt"
expect_refusal "--checkpoint is the training text" "names the training text" \
  "$train" "$dir/text.txt" --steps 10 --checkpoint "$dir/text.txt"
expect_refusal "--plot is the training text" "names the training text" \
  "$train" "$dir/text.txt" --steps 10 --plot "$dir/./text.txt"
expect_refusal "--plot is the checkpoint" "name the same file" \
  "$train" "$dir/text.txt" --steps 10 --checkpoint "$dir/new.ckpt" --plot "$dir/new.ckpt"
expect_refusal "--plot is the resumed checkpoint" "given to --resume" \
  "$train" "$dir/text.txt" --steps 300 --resume "$dir/old.ckpt" --checkpoint "$dir/next.ckpt" \
  --plot "$dir/old.ckpt"
expect_refusal "a checkpoint in a missing folder" "cannot write" \
  "$train" "$dir/text.txt" --steps 10 --checkpoint "$dir/no/such/folder/x.ckpt"
expect_refusal "a learning rate f32 cannot hold (1e39)" "that f32 can hold" \
  "$train" "$dir/text.txt" --steps 10 --lr 1e39
expect_refusal "a learning rate f32 rounds to 0 (1e-50)" "that f32 can hold" \
  "$train" "$dir/text.txt" --steps 10 --lr 1e-50
[ "$old" = "$(md5sum < "$dir/old.ckpt")" ] || fail "old.ckpt changed"

# Resuming from a checkpoint may write it; --force may replace it.
"$train" "$dir/text.txt" --steps 300 --resume "$dir/old.ckpt" --checkpoint "$dir/old.ckpt" > /dev/null
"$train" "$dir/text.txt" --steps 20 --checkpoint "$dir/old.ckpt" --force > /dev/null
"$sample" "$dir/old.ckpt" --length 10 > /dev/null
echo "ok: --resume and --force write the checkpoint, and it loads"

# SIGTERM and SIGHUP save like Ctrl-C.
for signal in TERM HUP INT; do
  rm -f "$dir/sig.ckpt"
  # --steps near u64::MAX: the progress line's arithmetic must not overflow.
  "$train" "$dir/text.txt" --checkpoint "$dir/sig.ckpt" --sample-every 1000000 \
    --steps 10000000000000000000 > "$logs/sig.log" 2>&1 &
  pid=$!
  sleep 1.5
  kill -s "$signal" "$pid"
  wait "$pid" || fail "SIG$signal: the run exited non-zero"
  grep -q "interrupted: stopping after step" "$logs/sig.log" || fail "SIG$signal: not a clean stop"
  "$sample" "$dir/sig.ckpt" --length 10 > /dev/null || fail "SIG$signal: no loadable checkpoint"
  [ ! -e "$dir/sig.ckpt.tmp" ] || fail "SIG$signal: a .tmp file was left behind"
  echo "ok: SIG$signal stops after the current step and saves ($(grep -o 'after step [0-9]*' "$logs/sig.log"))"
done

# The largest model (H = 512, T = 50, V = 256: 8 MB of training state) trains,
# saves and samples in a debug build on the default stack under a 150 MB
# address-space limit: the state is built in place on the heap (a 256 MB
# worker-thread stack used to fail here).
python3 -c "print(''.join(map(chr, range(0x100, 0x1c8))) * 10)" > "$dir/wide.txt"
( ulimit -v 150000
  "$train" "$dir/wide.txt" --hidden 512 --seq 50 --steps 3 --sample-every 2 \
    --checkpoint "$dir/wide.ckpt" > "$logs/wide.log" 2>&1 \
    || { cat "$logs/wide.log"; fail "H = 512 under ulimit -v 150000: train failed"; }
  "$sample" "$dir/wide.ckpt" --length 20 > /dev/null \
    || fail "H = 512 under ulimit -v 150000: sample failed" )
echo "ok: the largest model trains and samples under a 150 MB address-space limit"
echo "train-cli: all passed"
