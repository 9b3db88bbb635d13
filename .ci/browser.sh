#!/usr/bin/env bash
# The book's page "Train it here" in a real browser (headless Chromium):
#   1. builds the crate for wasm32 and the book (mdbook must be installed:
#      .ci/test installs it first);
#   2. opens browser.html?selftest=300, which trains "hello" for 300 steps
#      with no user input and writes one line into #selftest; the line, with
#      the first losses to the last digit of f32, must equal the one the same
#      crate prints natively (WebAssembly and the library's default build
#      have no fused multiply-add: the same arithmetic);
#   3. gives the page every kind of bad input (?errors), each of which must
#      get the library's message; breaks the .wasm on purpose and checks that the page then fails;
#   4. trains the Shakespeare excerpt 3,000 steps in the page and natively,
#      prints chars/s for both, and takes a screenshot (target/browser/).
#      `--update-screenshot` copies it to book/src/img/browser.png.
# Installs what it needs when missing: Debian's chromium, the wasm32 target,
# and playwright-core (the driver only: it drives /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/browser
mkdir -p "$out"

if ! command -v chromium > /dev/null; then
  apt-get update -qq && apt-get install -y -qq chromium > /dev/null
fi
if [ ! -d target/browser-driver/node_modules/playwright-core ]; then
  mkdir -p target/browser-driver
  (cd target/browser-driver && npm install --no-save --no-audit --no-fund --silent playwright-core@1.64)
fi
export NODE_PATH=$PWD/target/browser-driver/node_modules

bash examples/browser/build.sh
mdbook build book > "$out/book-build.log" 2>&1 || { cat "$out/book-build.log"; exit 1; }
(cd examples/browser && cargo build --quiet --release --bin selftest)
native=examples/browser/target/release/selftest

# Serves a copy of the built book on a free local port; sets $url.
server_pid=
serve() {
  [ -z "$server_pid" ] || kill "$server_pid" 2> /dev/null || true
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$port" --bind 127.0.0.1 --directory "$1" > "$out/http.log" 2>&1 &
  server_pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 50); do
    python3 -c "import urllib.request as u; u.urlopen('$url/browser.html')" 2> /dev/null && return
    sleep 0.1
  done
  echo "browser: the local server did not start" >&2
  exit 1
}
trap '[ -z "$server_pid" ] || kill "$server_pid" 2> /dev/null || true' EXIT

serve book/book
expected=$("$native" 300)
echo "native:  $expected"
got=$(node examples/browser/driver.cjs "$url/browser.html?selftest=300") || true
echo "browser: $got"
if [ "$got" != "$expected" ]; then
  echo "browser: the page's self-test line differs from the native one" >&2
  exit 1
fi

# Bad input: each kind gets the library's own message, and the page lives on.
node examples/browser/driver.cjs "$url/browser.html?errors" "$out/errors.png"

# A broken module must fail the check.
rm -rf "$out/broken-book"
cp -r book/book "$out/broken-book"
head -c 5000 book/book/browser/min_char_rnn.wasm > "$out/broken-book/browser/min_char_rnn.wasm"
serve "$out/broken-book"
if broken=$(node examples/browser/driver.cjs "$url/browser.html?selftest=300"); then
  echo "browser: a truncated .wasm passed the self-test: $broken" >&2
  exit 1
fi
echo "ok: a truncated .wasm fails: ${broken:0:100}…"

# Speed, side by side, and the screenshot.
serve book/book
"$native" --bench 3000 book/src/browser/shakespeare.txt
node examples/browser/driver.cjs \
  "$url/browser.html?autorun=3000&text=shakespeare&hidden=100&seq=25" "$out/browser.png"
echo "wasm: $(stat -c %s book/src/browser/min_char_rnn.wasm) bytes; screenshot: $out/browser.png"
if [ "${1:-}" = "--update-screenshot" ]; then
  cp "$out/browser.png" book/src/img/browser.png
  echo "updated book/src/img/browser.png"
fi
