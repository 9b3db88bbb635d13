#!/usr/bin/env bash
# The side-by-side measurement of the performance chapter: min-char-rnn's
# `bench` example against the C peer in ../shared/bench, in paired runs.
#
#   bash book/tools/compare.sh            # every row of the chapter's table
#   bash book/tools/compare.sh portable   # one row: portable, native, f64,
#                                         # h256, h512 or h64
#
# Builds the Rust example twice (portable, and with -C target-cpu=native) and
# the C peer's variants, then for each row runs Rust and C back to back, the
# order alternating, and prints the median speed of each and the median of
# the per-pair ratios Rust/C. The machine this was written on is shared and a
# single run's speed moves by 20% or more (one build against itself: 0.7 to
# 1.4), which is why it is pairs and medians.
# Takes about a minute and a half for the whole table. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
peer_src=${PEER:-../shared/bench}
data=examples/data/shakespeare.txt
out=target/compare
mkdir -p "$out"

rows=${1:-portable native f64 h256 h512 h64}
for which in $rows; do
  case $which in
    portable | native | f64 | h256 | h512 | h64) ;;
    *) echo "unknown row '$which' (portable, native, f64, h256, h512, h64)" >&2; exit 2 ;;
  esac
done

echo "building: bench (portable), bench (native), the C peer" >&2
cargo build --quiet --release --example bench
cp target/release/examples/bench "$out/bench_portable"
RUSTFLAGS="-C target-cpu=native" cargo build --quiet --release --example bench \
  --target-dir target/native
cp target/native/release/examples/bench "$out/bench_native"
bash "$peer_src/build.sh" "$out" >&2

# The last line of either program is `chars/s N`.
speed() { "$@" | tail -n 1 | awk '{print $2}'; }

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# row NAME PAIRS ITERS HIDDEN RUST C [RUST_FLAG]
row() {
  local name=$1 pairs=$2 iters=$3 hidden=$4 rust=$5 c=$6 flag=${7:-}
  local args=(--data "$data" --hidden "$hidden" --iters "$iters")
  local r c_speed ratios=() rs=() cs=()
  for ((i = 1; i <= pairs; i++)); do
    if ((i % 2)); then
      r=$(speed "$out/$rust" "${args[@]}" $flag)
      c_speed=$(speed "$out/$c" "${args[@]}")
    else
      c_speed=$(speed "$out/$c" "${args[@]}")
      r=$(speed "$out/$rust" "${args[@]}" $flag)
    fi
    rs+=("$r"); cs+=("$c_speed")
    ratios+=("$(awk -v r="$r" -v c="$c_speed" 'BEGIN { printf "%.3f", r / c }')")
  done
  printf '| %s | %s × %s | %.0f | %.0f | %.2f |\n' "$name" "$iters" "$pairs" \
    "$(printf '%s\n' "${cs[@]}" | median)" "$(printf '%s\n' "${rs[@]}" | median)" \
    "$(printf '%s\n' "${ratios[@]}" | median)"
  echo "  ($name, single pairs: ${ratios[*]})" >&2
}

echo "| build | iterations × pairs | C peer, chars/s | Rust, chars/s | ratio |"
echo "|---|---|---|---|---|"
for which in $rows; do
  case $which in
    portable) row "f32 H=100, portable vs C \`base\`" 31 2000 100 bench_portable minrnn_f32_base ;;
    native) row "f32 H=100, native vs C \`native_fm\`" 21 4000 100 bench_native minrnn_f32_native_fm ;;
    f64) row "f64 H=100, native vs C \`native_fm\`" 15 2000 100 bench_native minrnn_f64_native_fm --f64 ;;
    h256) row "f32 H=256, native vs C \`native_fm\`" 11 800 256 bench_native minrnn_f32_native_fm ;;
    h512) row "f32 H=512, native vs C \`native_fm\`" 9 200 512 bench_native minrnn_f32_native_fm ;;
    h64) row "f32 H=64, native vs C \`native_fm\`" 15 6000 64 bench_native minrnn_f32_native_fm ;;
  esac
done
