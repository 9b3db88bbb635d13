// The training loop of the page "Train it here", in a Web Worker so that the
// page never freezes. It loads min_char_rnn.wasm (the crate, compiled by
// examples/browser/build.sh) and drives it through its exports; the page
// talks to it with messages only.
"use strict";

let wasm = null; // the module's exports
let model = false; // a model has been started (a failed start leaves none)
let running = false; // training continues until a "pause"
let until = Infinity; // or until this step
let sampleEvery = 300; // steps between samples and looks inside
let sampleSettings = { prime: "", temperature: 1.0 };
let trainSeconds = 0; // time spent in `train`, for chars/s
let seqLength = 0;
let nextSampleAt = 0;
let text = ""; // the text trained on
let firstChar = ""; // of the text: the prime when the page gives none
let sliceMs = 50; // the time one slice of training aims at

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Copies `text` into the module's input buffer. */
function setInput(text) {
  const bytes = encoder.encode(text);
  const ptr = wasm.input_buffer(bytes.length);
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
}

/** Reads a UTF-8 string the module left at (ptr, len). */
function readString(ptr, len) {
  return decoder.decode(new Uint8Array(wasm.memory.buffer, ptr, len).slice());
}

const output = () => readString(wasm.output_ptr(), wasm.output_len());
const message = () => readString(wasm.message_ptr(), wasm.message_len());

/** Calls an export returning 0 or −1; throws the library's message on −1. */
function check(status) {
  if (status !== 0) throw new Error(message());
}

function progress() {
  const steps = wasm.steps();
  postMessage({
    type: "progress",
    steps,
    loss: wasm.smooth_loss(),
    charsPerSecond: trainSeconds > 0 ? (steps * seqLength) / trainSeconds : 0,
    running,
  });
}

/** Trains `n` steps, timing them. */
function train(n) {
  const t0 = performance.now();
  check(wasm.train(n));
  trainSeconds += (performance.now() - t0) / 1000;
}

/** A sample with the page's prime and temperature (from h = 0). */
function sample(n) {
  const { temperature } = sampleSettings;
  const prime = sampleSettings.prime || firstChar;
  setInput(prime);
  check(wasm.sample(n, temperature));
  return prime + output();
}

/** What the model computes over the next characters of the text. */
function inspect(n) {
  check(wasm.inspect(n));
  const chars = output();
  const count = [...chars].length;
  // Fewer than T + 2 characters left: the next step goes back to the start of
  // the text with h = 0, so these (the end of the text) are not the ones it reads.
  const rewind = wasm.steps() > 0 && count < n && count <= seqLength + 1 && !text.startsWith(chars);
  const H = wasm.hidden_size();
  check(wasm.symbols());
  const symbols = output();
  const V = [...symbols].length;
  const hs = new Float32Array(wasm.memory.buffer, wasm.hs_ptr(), count * H).slice();
  const ps = new Float32Array(wasm.memory.buffer, wasm.ps_ptr(), count * V).slice();
  return { type: "inspect", chars, symbols, H, hs, ps, seqLength, rewind };
}

function report(error) {
  running = false;
  postMessage({ type: "error", message: error.message });
  progress();
}

/** Shows a sample and a look inside, as every `sampleEvery` steps. A prime
 * the model cannot read is reported, and training goes on. */
function show() {
  try {
    postMessage({ type: "sample", text: sample(200), steps: wasm.steps() });
  } catch (e) {
    postMessage({ type: "error", message: `prime: ${e.message}` });
  }
  postMessage(inspect(120));
}

// Trains in slices of about 50 ms (longer when each call into the module has a
// cost of its own: a long text), then yields, so that "pause" and new settings
// arrive between slices.
let stepsPerSlice = 1;
let shownAt = 0; // performance.now() of the last sample: at most four a second
function loop() {
  if (!running) return;
  try {
    const t0 = performance.now();
    train(Math.max(0, Math.min(stepsPerSlice, until - wasm.steps())));
    const ms = performance.now() - t0;
    if (wasm.steps() >= until) running = false;
    const scale = Math.min(4, Math.max(0.5, sliceMs / Math.max(ms, 0.1)));
    stepsPerSlice = Math.max(1, Math.min(5000, Math.round(stepsPerSlice * scale)));
    progress();
    if (wasm.steps() >= nextSampleAt && performance.now() - shownAt >= 250) {
      nextSampleAt = wasm.steps() + sampleEvery;
      shownAt = performance.now();
      show();
    }
  } catch (e) {
    report(e);
    return;
  }
  if (!running) {
    show();
    progress();
    return;
  }
  setTimeout(loop, 0);
}

/** The page's self-test, in the steps `selftest` takes in the crate. */
function selftest(steps) {
  setInput("hello");
  check(wasm.start(32, 4, 1, 0.1));
  seqLength = 4;
  train(1);
  const first = wasm.smooth_loss();
  train(Math.max(0, steps - 1));
  const last = wasm.smooth_loss();
  setInput("h");
  check(wasm.sample(4, 0));
  const text = "h" + output();
  check(wasm.first_losses());
  const losses = output();
  const ok = text === "hello" && last < first;
  return `selftest ${ok ? "ok" : "FAIL"}: loss ${first.toFixed(4)} -> ${last.toFixed(4)}, ` +
    `sample ${JSON.stringify(text)}, first losses ${losses}`;
}

/** The library's message for each kind of bad input the page can be given. */
function badInputMessages() {
  const attempt = (text, hidden, seq, prime) => {
    try {
      setInput(text);
      check(wasm.start(hidden, seq, 1, 0.1));
      if (prime !== undefined) {
        setInput(prime);
        check(wasm.sample(10, 1.0));
      }
      return "(accepted)";
    } catch (e) {
      return e.message;
    }
  };
  const many = Array.from({ length: 200 }, (_, i) => String.fromCodePoint(0x100 + i)).join("");
  return [
    ["empty text", attempt("", 32, 4), "the text is empty"],
    ["text shorter than T + 1", attempt("hell", 32, 4), "needs at least 5"],
    ["more symbols than the capacity", attempt(many, 32, 4), "more than 128 distinct characters"],
    ["a prime outside the vocabulary", attempt("hello", 32, 4, "hex"), "'x'"],
    ["a shape not compiled in", attempt("hello", 48, 4), "not compiled"],
  ];
}

onmessage = (event) => {
  const m = event.data;
  try {
    switch (m.type) {
      case "load":
        fetch(m.url)
          .then((response) => {
            if (!response.ok) {
              throw new Error(`${response.status} ${response.statusText}: the module is not built; ` +
                "run `bash examples/browser/build.sh`, then build the book again");
            }
            return WebAssembly.instantiateStreaming(response);
          })
          .then(({ instance }) => {
            wasm = instance.exports;
            postMessage({ type: "ready" });
          })
          .catch((e) => postMessage({ type: "error", message: `cannot load ${m.url}: ${e.message}` }));
        break;
      case "start": {
        running = false;
        model = false;
        setInput(m.text);
        check(wasm.start(m.hidden, m.seq, m.seed, m.lr));
        model = true;
        seqLength = m.seq;
        text = m.text;
        firstChar = String.fromCodePoint(m.text.codePointAt(0));
        trainSeconds = 0;
        stepsPerSlice = 1;
        // A call into the module checks the whole text first (train(0) does
        // only that): slices at least four times as long keep it under 20%.
        const t0 = performance.now();
        check(wasm.train(0));
        sliceMs = Math.max(50, 4 * (performance.now() - t0));
        nextSampleAt = 0;
        postMessage({ type: "started", symbols: output() });
        progress();
        postMessage(inspect(120));
        break;
      }
      case "run":
        if (!model) break; // the start failed: its message stays on the page
        until = m.until || Infinity;
        if (!running) {
          running = true;
          loop();
        }
        break;
      case "pause":
        running = false;
        progress();
        break;
      case "step":
        if (!model) break;
        running = false;
        train(m.steps);
        progress();
        show();
        break;
      case "settings":
        sampleSettings = { prime: m.prime, temperature: m.temperature };
        sampleEvery = m.sampleEvery;
        break;
      case "sample":
        sampleSettings = { prime: m.prime, temperature: m.temperature };
        postMessage({ type: "sample", text: sample(200), steps: wasm.steps() });
        break;
      case "selftest":
        postMessage({ type: "selftest", line: selftest(m.steps) });
        break;
      case "errors":
        postMessage({ type: "errors", cases: badInputMessages() });
        break;
    }
  } catch (e) {
    if (m.type === "selftest") {
      postMessage({ type: "selftest", line: `selftest FAIL: ${e.message}` });
    } else {
      report(e);
    }
  }
};
