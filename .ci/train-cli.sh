#!/usr/bin/env bash
# The train example never loses a user's work: each case below fails this
# script if the example destroys a file it should not, saves nothing where it
# should, or fails late. Run by .ci/test after `cargo test` (which builds the
# examples); takes a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --example train --example sample
train=$PWD/target/debug/examples/train
sample=$PWD/target/debug/examples/sample
dir=$(mktemp -d)
logs=$(mktemp -d)
trap 'rm -rf "$dir" "$logs"' EXIT
head -c 20000 examples/data/macbeth.txt > "$dir/text.txt"
# The runs write their default checkpoints in the current folder: $dir.
cd "$dir"
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
  echo "ok: $what: $(grep -F -- "$message" "$logs/out.log" | head -n 1 | cut -c1-300)"
}

# expect_output DESCRIPTION MESSAGE-PART COMMAND...: exits 0 and prints MESSAGE-PART.
expect_output() {
  local what=$1 message=$2
  shift 2
  "$@" > "$logs/out.log" 2>&1 || { cat "$logs/out.log"; fail "$what: exited non-zero"; }
  grep -qF -- "$message" "$logs/out.log" || { cat "$logs/out.log"; fail "$what: no '$message'"; }
  echo "ok: $what: $(grep -F -- "$message" "$logs/out.log" | head -n 1 | cut -c1-300)"
}

"$train" "$dir/text.txt" --steps 200 --checkpoint "$dir/old.ckpt" --sample-every 100 > /dev/null
old=$(md5sum < "$dir/old.ckpt")

expect_refusal "an existing checkpoint, no --resume" \
  "exists (a checkpoint at step 200, H = 100, T = 25), and this run starts afresh" \
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
expect_refusal "--plot is the checkpoint's temporary file" "new.ckpt.tmp is --plot" \
  "$train" "$dir/text.txt" --steps 10 --checkpoint "$dir/new.ckpt" --plot "$dir/new.ckpt.tmp"
cp "$dir/text.txt" "$dir/notes.tmp"
expect_refusal "the training text is the checkpoint's temporary file" \
  "and $dir/notes.tmp is the training text" \
  "$train" "$dir/notes.tmp" --steps 10 --checkpoint "$dir/notes"
rm "$dir/notes.tmp"
expect_refusal "a checkpoint in a missing folder" "cannot write" \
  "$train" "$dir/text.txt" --steps 10 --checkpoint "$dir/no/such/folder/x.ckpt"
expect_refusal "a plot in a missing folder" "cannot write $dir/no/such/folder/x.svg" \
  "$train" "$dir/text.txt" --steps 10 --checkpoint "$dir/p.ckpt" --plot "$dir/no/such/folder/x.svg"
expect_refusal "a learning rate f32 cannot hold (1e39)" "that f32 can hold" \
  "$train" "$dir/text.txt" --steps 10 --lr 1e39
expect_refusal "a learning rate f32 rounds to 0 (1e-50)" "that f32 can hold" \
  "$train" "$dir/text.txt" --steps 10 --lr 1e-50
[ "$old" = "$(md5sum < "$dir/old.ckpt")" ] || fail "old.ckpt changed"

# A file where a save writes first (FILE.tmp) is left alone at start-up, and
# the user is told that the first save replaces it.
echo "mine" > "$dir/keep.svg.tmp"
expect_output "an existing FILE.tmp is named at start" \
  "keep.svg.tmp exists: saves write there first, so the first save will replace it" \
  "$train" "$dir/text.txt" --steps 1 --checkpoint "$dir/keep.ckpt" --plot "$dir/keep.svg"
rm -f "$dir"/keep.*

# The loss history survives a resume: the resumed run's history and plot
# start at step 1, not at the step it resumed from.
"$train" "$dir/text.txt" --steps 300 --resume "$dir/old.ckpt" --sample-every 100 \
  --plot "$dir/old.svg" > /dev/null
csv=$dir/old.history.csv
[ "$(grep -v '^#' "$csv" | sed -n 2p)" = "1,4.143135,," ] || { cat "$csv"; fail "history: no step 1"; }
[ "$(grep -c '^[0-9]*,,' "$csv")" = 3 ] || { cat "$csv"; fail "history: not 3 validations"; }
[ "$(grep -c '^200,' "$csv")" = 2 ] || { cat "$csv"; fail "history: step 200 twice or lost"; }
grep -q '^300,,' "$csv" || { cat "$csv"; fail "history: no validation at step 300"; }
grep -q '>0</text>' "$dir/old.svg" && grep -q '>300</text>' "$dir/old.svg" \
  || fail "the resumed run's plot does not span steps 0 to 300"
echo "ok: a resumed run keeps the loss history from step 1 (and plots it)"
# A history ahead of its checkpoint (a run stopped between the two saves) is
# cut back to the checkpoint's step on resume.
cp "$dir/old.ckpt" "$dir/ahead.ckpt"
{ cat "$csv"; echo "400,9.0,,"; } > "$dir/ahead.history.csv"
"$train" "$dir/text.txt" --steps 300 --resume "$dir/ahead.ckpt" > /dev/null
! grep -q '^400,' "$dir/ahead.history.csv" || fail "history: step 400 kept at step 300"
echo "ok: a history ahead of its checkpoint is cut back on resume"

# --force may replace a checkpoint, and the saved files load.
"$train" "$dir/text.txt" --steps 20 --checkpoint "$dir/old.ckpt" --force > /dev/null
"$sample" "$dir/old.ckpt" --length 10 > /dev/null
"$sample" "$dir/old.best.ckpt" --length 10 > /dev/null
echo "ok: --resume and --force write the checkpoint, the best checkpoint too, and they load"

# The default checkpoint: TEXT's name with .ckpt, in the current folder, and
# a second run refuses to replace it, saying how to continue or replace.
expect_output "a default checkpoint" "  text.ckpt, the checkpoint" \
  "$train" "$dir/text.txt" --steps=30
[ -f text.ckpt ] && [ -f text.best.ckpt ] && [ -f text.history.csv ] \
  || fail "default names: $(ls)"
expect_refusal "the same command twice" "add --resume text.ckpt; to start afresh" \
  "$train" "$dir/text.txt" --steps=30
expect_output "--resume alone saves where it resumed from" "saved text.ckpt at step 40" \
  "$train" "$dir/text.txt" --steps=40 --resume=text.ckpt
expect_refusal "--resume x.best.ckpt continues x.ckpt, which it would replace" \
  "text.ckpt exists (a checkpoint at step 40, H = 100, T = 25), and this run resumes from another" \
  "$train" "$dir/text.txt" --steps=50 --resume=text.best.ckpt

# A diverged run stops with an error and leaves the last checkpoint as it was.
"$train" "$dir/text.txt" --steps 30 --checkpoint div.ckpt > /dev/null
good=$(md5sum < div.ckpt)
if "$train" "$dir/text.txt" --lr 3e38 --steps 100 --checkpoint div.ckpt --force \
  > "$logs/out.log" 2>&1; then fail "a diverged run exited 0"; fi
grep -qF "training diverged at step 2" "$logs/out.log" || { cat "$logs/out.log"; fail "no divergence message"; }
[ "$good" = "$(md5sum < div.ckpt)" ] || fail "divergence: the checkpoint changed"
"$sample" div.ckpt --length 10 > /dev/null || fail "divergence: the last checkpoint does not load"
echo "ok: divergence: $(tail -n 1 "$logs/out.log")"

# A loss that explodes while staying finite (--lr 1e6) stops the run, as
# char-rnn does, keeping the last checkpoint.
if "$train" "$dir/text.txt" --resume div.ckpt --lr 1e6 --steps 3000 > "$logs/out.log" 2>&1; then
  fail "an exploding loss exited 0"
fi
grep -qF "the loss is exploding at step 32" "$logs/out.log" \
  || { cat "$logs/out.log"; fail "exploding: no message"; }
grep -qF "div.ckpt keeps step 30, the last saved" "$logs/out.log" \
  || { cat "$logs/out.log"; fail "exploding: not the last checkpoint"; }
[ "$good" = "$(md5sum < div.ckpt)" ] || fail "exploding: the checkpoint changed"
echo "ok: exploding: $(tail -n 1 "$logs/out.log" | cut -c1-200)"

# A learning rate that sends the parameters past what a checkpoint may hold
# while every loss stays finite (--lr on a resumed run applies from then on):
# the run stops at its next save (here the first step), keeping the last
# checkpoint, which loads.
"$train" "$dir/text.txt" --steps 30 --checkpoint big.ckpt > /dev/null
good=$(md5sum < big.ckpt)
if "$train" "$dir/text.txt" --resume big.ckpt --lr 1e37 --steps 40 --sample-every 1 \
  > "$logs/out.log" 2>&1; then fail "parameters out of range: exited 0"; fi
grep -qF "learning rate 1e37 from now on (--lr), instead of big.ckpt's 0.1" "$logs/out.log" \
  || { cat "$logs/out.log"; fail "--lr with --resume: not applied"; }
grep -qF "training has diverged: a parameter is not finite or beyond" "$logs/out.log" \
  || { cat "$logs/out.log"; fail "parameters out of range: no message"; }
grep -qF "big.ckpt keeps step 30, the last saved" "$logs/out.log" \
  || { cat "$logs/out.log"; fail "parameters out of range: not the last good checkpoint"; }
[ "$good" = "$(md5sum < big.ckpt)" ] || fail "parameters out of range: the checkpoint changed"
"$sample" big.ckpt --length 10 > /dev/null || fail "parameters out of range: big.ckpt does not load"
echo "ok: parameters out of range: $(tail -n 1 "$logs/out.log" | cut -c1-200)"

# --batch B: B streams train, the checkpoint is an ordinary one (sample
# loads it, a resume with or without --batch continues its step count), and
# what is not compiled is refused before anything is written.
expect_output "--batch 8 trains and saves" "minibatch: 8 streams" \
  "$train" "$dir/text.txt" --batch 8 --steps 40 --sample-every 20 --checkpoint b8.ckpt
grep -qF "saved b8.ckpt at step 40" "$logs/out.log" || { cat "$logs/out.log"; fail "--batch 8: not saved"; }
grep -qF "trained 40 steps (8000 characters)" "$logs/out.log" \
  || { cat "$logs/out.log"; fail "--batch 8: not 8 windows a step"; }
[ -f b8.best.ckpt ] && [ -f b8.history.csv ] || fail "--batch 8: $(ls)"
"$sample" b8.ckpt --length 20 > /dev/null || fail "sample does not load a --batch checkpoint"
echo "ok: sample loads a --batch checkpoint"
expect_output "--resume --batch 8 continues the step count" "saved b8.ckpt at step 60" \
  "$train" "$dir/text.txt" --batch 8 --steps 60 --resume b8.ckpt
grep -qF "resumed from b8.ckpt at step 40" "$logs/out.log" || fail "--batch 8: not resumed at 40"
expect_output "a --batch checkpoint resumes without --batch" "saved b8.ckpt at step 70" \
  "$train" "$dir/text.txt" --steps 70 --resume b8.ckpt
expect_refusal "--batch 3" "--batch 3: not a compiled number of streams; pick one of [1, 8, 32]" \
  "$train" "$dir/text.txt" --batch 3 --steps 10 --checkpoint b3.ckpt
expect_refusal "--batch 8 with a shape not compiled for it" \
  "--batch 8: minibatches are compiled for f32 with V = 96, T = 25 and H = 100, 256, 512 only, and --hidden is 64" \
  "$train" "$dir/text.txt" --batch 8 --hidden 64 --steps 10 --checkpoint b64.ckpt
expect_output "--batch 8 --threads 2 trains on two threads" "2 threads, 4 streams each" \
  "$train" "$dir/text.txt" --batch 8 --threads 2 --steps 40 --sample-every 20 --checkpoint t2.ckpt
grep -qF "trained 40 steps (8000 characters)" "$logs/out.log" \
  || { cat "$logs/out.log"; fail "--threads 2: not 8 windows a step"; }
expect_output "--threads 2 resumes a checkpoint" "saved t2.ckpt at step 60" \
  "$train" "$dir/text.txt" --batch 8 --threads 2 --steps 60 --resume t2.ckpt
expect_refusal "--threads that does not divide --batch" \
  "--threads 3: --batch 8 is compiled for 1 or 2 threads (each thread takes 4, 8, 16, 32 streams)" \
  "$train" "$dir/text.txt" --batch 8 --threads 3 --steps 10 --checkpoint t3.ckpt
expect_refusal "--threads without --batch" \
  "--threads 2: one stream cannot be shared among threads; give --batch 8 or 32 too" \
  "$train" "$dir/text.txt" --threads 2 --steps 10 --checkpoint t1.ckpt
head -c 150 "$dir/text.txt" > short.txt
expect_refusal "--batch 8 on a text too short for 8 streams" "too few for 8 streams" \
  "$train" short.txt --batch 8 --steps 10 --checkpoint short.ckpt

# Texts that are not UTF-8, and texts with a byte-order mark or CRLF.
printf '\xff\xfeh\x00i\x00\n\x00' > utf16.txt
expect_refusal "a UTF-16 text" "is UTF-16 (little-endian: it starts with the byte-order mark FF FE)" \
  "$train" utf16.txt --checkpoint u.ckpt
printf 'line one\nGy\xf5r\n' > latin2.txt
expect_refusal "an ISO-8859-2 text" \
  "byte 11 (line 2, column 3, after \"Gy\") is 0xF5, which cannot occur there in UTF-8" \
  "$train" latin2.txt --checkpoint l.ckpt
grep -qF 'iconv -f ENCODING -t UTF-8 latin2.txt > latin2.utf8.txt' "$logs/out.log" || fail "no iconv advice"
{ printf '\xef\xbb\xbf'; cat text.txt; echo; } | sed 's/$/\r/' > crlf.txt
expect_output "a BOM and CRLF line ends are reported" "2 symbols of the vocabulary come from them" \
  "$train" crlf.txt --steps 1 --checkpoint crlf.ckpt
expect_output "--normalize removes them" "--normalize: removed the byte-order mark and made" \
  "$train" crlf.txt --steps 1 --checkpoint norm.ckpt --normalize
grep -qF "vocabulary: 63 symbols" "$logs/out.log" || fail "--normalize: not text.txt's 63 symbols"

# Any text: more distinct characters than 256 train with capacity 1024, and
# --top-chars keeps the most frequent.
python3 -c "print(''.join(map(chr, range(0x4e00, 0x4e00 + 410))) * 3)" > cjk.txt
expect_output "410 distinct characters" "vocabulary: 411 symbols (capacity V = 1024)" \
  "$train" cjk.txt --steps 2 --checkpoint cjk.ckpt
expect_output "--top-chars" "kept the 50 most frequent of 411 distinct characters" \
  "$train" cjk.txt --steps 2 --top-chars 50 --checkpoint top.ckpt
grep -qF "vocabulary: 51 symbols (capacity V = 96)" "$logs/out.log" || fail "--top-chars: not 51 symbols"

# The flag parser: -V, --version, -h.
"$train" -V | grep -qx "train (min-char-rnn [0-9.]*)" || fail "train -V"
"$sample" --version | grep -qx "sample (min-char-rnn [0-9.]*)" || fail "sample --version"
"$train" -h | grep -qF "Without --steps or --minutes it trains until" || fail "train -h"
echo "ok: -V, --version, -h"

# SIGTERM and SIGHUP save like Ctrl-C.
for signal in TERM HUP INT; do
  rm -f "$dir"/sig.*
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
