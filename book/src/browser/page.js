// The page "Train it here": controls, the live loss plot, samples, and two
// looks inside the model (the next-character probabilities over the current
// window; the hidden units' activations over the text). The training itself
// runs in worker.js; this script only draws what it reports.
"use strict";

(function () {
  const root = document.getElementById("rnn-trainer");
  if (!root) return;
  if (/\/print\.html$/.test(location.pathname)) {
    // The book's print page holds every chapter: no worker and no module
    // there, and on paper a sentence instead of the controls.
    root.innerHTML = '<p><em>Interactive: on <a href="browser.html">this chapter\'s own page</a>, ' +
      "the model trains in your browser.</em></p>";
    return;
  }

  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const selftestSteps = params.has("selftest") ? Number(params.get("selftest")) || 300 : 0;
  // ?autorun=N[&text=shakespeare][&hidden=H][&seq=T]: train N steps with no
  // user input, then pause and report (for the screenshot and the speed
  // figure of the chapter).
  const autorun = Number(params.get("autorun")) || 0;
  // ?errors: every kind of bad input, each of which must get the library's
  // message (and the page must stay alive).
  const errorsCheck = params.has("errors");

  const worker = new Worker("browser/worker.js");
  const history = []; // [steps, loss] pairs for the plot
  let shakespeare = null;
  let started = false;
  let running = false;
  let symbolCount = 0; // V of the model trained
  let stale = false; // the settings changed since the model was started

  // --- messages from the worker --------------------------------------------

  worker.onmessage = (event) => {
    const m = event.data;
    switch (m.type) {
      case "ready":
        $("rnn-status").textContent = "ready: pick a text and press Start";
        enable(true);
        if (selftestSteps) worker.postMessage({ type: "selftest", steps: selftestSteps });
        if (autorun) startAutorun();
        if (errorsCheck) worker.postMessage({ type: "errors" });
        break;
      case "errors":
        checkErrors(m.cases);
        break;
      case "started":
        started = true;
        stale = false;
        showError("");
        symbolCount = [...m.symbols].length;
        $("rnn-symbols").textContent = `${symbolCount} symbols: ${JSON.stringify(m.symbols)}`;
        break;
      case "progress":
        running = m.running;
        if (m.steps > 0 && (history.length === 0 || history[history.length - 1][0] < m.steps)) {
          history.push([m.steps, m.loss]);
          // A long run: every other point, so that drawing stays cheap.
          if (history.length > 4000) history.splice(0, history.length, ...history.filter((_, i) => i % 2 === 0 || i === history.length - 1));
        }
        $("rnn-status").textContent = status(m);
        $("rnn-run").textContent = m.running ? "Pause" : "Start";
        drawPlot();
        if (autorun && !m.running && m.steps >= autorun) {
          $("selftest").textContent =
            `autorun done: ${m.steps} steps, loss ${m.loss.toFixed(4)}, ` +
            `${Math.round(m.charsPerSecond)} chars/s`;
        }
        break;
      case "sample":
        showError(""); // the prime works (again)
        $("rnn-sample").textContent = m.text;
        $("rnn-sample-step").textContent = `sample at step ${m.steps}`;
        break;
      case "inspect":
        drawWindow(m);
        drawHeatmap(m);
        break;
      case "error":
        showError(m.message);
        break;
      case "selftest":
        $("selftest").textContent = m.line;
        break;
    }
  };
  worker.onerror = (e) => showError(`the worker stopped: ${e.message}`);

  function status(m) {
    if (stale) return "settings changed: Start trains a new model";
    if (!started) return "no model: see the message above";
    if (m.steps === 0) {
      return `step 0   loss ln V = ${Math.log(symbolCount).toFixed(4)} nats/char (V = ${symbolCount}: a uniform guess)`;
    }
    return `step ${m.steps}   smoothed loss ${m.loss.toFixed(4)} nats/char   ` +
      `${Math.round(m.charsPerSecond).toLocaleString("en")} chars/s` + (m.running ? "" : "   (paused)");
  }

  /** ?errors: the worker's cases, then the same through the controls, as a
   * reader meets them: an empty text, then Start. */
  async function checkErrors(cases) {
    const bad = cases.filter(([, got, want]) => !got.includes(want));
    $("rnn-preset").value = "";
    $("rnn-text").value = "";
    $("rnn-text").dispatchEvent(new Event("change"));
    $("rnn-run").click();
    let shown = "";
    for (let i = 0; i < 100 && !shown.includes("the text is empty"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      shown = $("rnn-error").hidden ? "" : $("rnn-error").textContent;
    }
    if (!shown.includes("the text is empty")) bad.push(["Start with an empty text", shown || "(no message)"]);
    const lines = cases.map(([what, got]) => `${what}: ${got}`);
    showError([...lines, `Start with an empty text: ${shown}`].join("\n"));
    $("selftest").textContent = bad.length
      ? `selftest FAIL: ${bad.map(([what, got]) => `${what}: ${got}`).join("; ")}`
      : `selftest ok: ${cases.length + 1} kinds of bad input, each with the library's message`;
  }

  function showError(text) {
    const el = $("rnn-error");
    el.textContent = text;
    el.hidden = text === "";
  }

  function enable(on) {
    for (const id of ["rnn-run", "rnn-step", "rnn-reset", "rnn-sample-now"]) $(id).disabled = !on;
  }

  // --- controls ------------------------------------------------------------

  function settings() {
    return {
      type: "settings",
      prime: $("rnn-prime").value,
      temperature: Number($("rnn-temperature").value),
      sampleEvery: Number($("rnn-every").value) || 300,
    };
  }

  function start() {
    history.length = 0;
    stale = false;
    // Nothing of the previous model stays on the page.
    for (const id of ["rnn-symbols", "rnn-sample-step", "rnn-sample", "rnn-window", "rnn-unit", "rnn-neuron"]) {
      $(id).textContent = "";
    }
    lastInspect = null;
    context($("rnn-heatmap"), 0);
    worker.postMessage(settings());
    worker.postMessage({
      type: "start",
      text: $("rnn-text").value,
      hidden: Number($("rnn-hidden").value),
      seq: Number($("rnn-seq").value),
      seed: Number($("rnn-seed").value) >>> 0,
      lr: Number($("rnn-lr").value),
    });
  }

  $("rnn-run").onclick = () => {
    if (running) {
      worker.postMessage({ type: "pause" });
      return;
    }
    if (!started) start();
    worker.postMessage(settings());
    worker.postMessage({ type: "run" });
  };
  $("rnn-step").onclick = () => {
    if (!started) start();
    worker.postMessage(settings());
    worker.postMessage({ type: "step", steps: 1 });
  };
  $("rnn-reset").onclick = () => {
    worker.postMessage({ type: "pause" });
    started = false;
    start();
  };
  $("rnn-sample-now").onclick = () => {
    const s = settings();
    worker.postMessage(s);
    worker.postMessage({ type: "sample", prime: s.prime, temperature: s.temperature });
  };
  for (const id of ["rnn-prime", "rnn-temperature", "rnn-every"]) {
    $(id).onchange = () => worker.postMessage(settings());
  }
  $("rnn-temperature").oninput = () => {
    $("rnn-temperature-value").textContent = Number($("rnn-temperature").value).toFixed(2);
  };
  // A new text or shape needs a new model: the next Start builds it.
  for (const id of ["rnn-text", "rnn-hidden", "rnn-seq", "rnn-seed", "rnn-lr"]) {
    $(id).addEventListener("change", () => {
      if (started) {
        worker.postMessage({ type: "pause" });
        started = false;
        stale = true;
        $("rnn-status").textContent = status();
      }
    });
  }
  // Typed or pasted text is no longer the preset.
  $("rnn-text").addEventListener("input", () => ($("rnn-preset").value = ""));
  $("rnn-preset").onchange = async () => {
    const which = $("rnn-preset").value;
    if (which === "hello") {
      $("rnn-text").value = "hello";
      $("rnn-seq").value = "4";
    } else if (which === "shakespeare") {
      if (shakespeare === null) {
        shakespeare = await fetch("browser/shakespeare.txt").then((r) => r.text());
      }
      $("rnn-text").value = shakespeare;
      $("rnn-seq").value = "25";
    }
    $("rnn-text").dispatchEvent(new Event("change"));
  };

  async function startAutorun() {
    $("rnn-preset").value = params.get("text") || "hello";
    await $("rnn-preset").onchange();
    if (params.has("hidden")) $("rnn-hidden").value = params.get("hidden");
    if (params.has("seq")) $("rnn-seq").value = params.get("seq");
    start();
    worker.postMessage({ type: "run", until: autorun });
  }

  // --- drawing -------------------------------------------------------------

  /** A canvas sized for the screen's pixel density; returns its 2D context. */
  function context(canvas, height) {
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 640;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = `${height}px`;
    const g = canvas.getContext("2d");
    g.scale(ratio, ratio);
    return { g, width, height };
  }

  const ink = () => getComputedStyle(root).color;

  function drawPlot() {
    const { g, width, height } = context($("rnn-plot"), 180);
    g.clearRect(0, 0, width, height);
    const pad = { l: 44, r: 10, t: 10, b: 24 };
    g.strokeStyle = g.fillStyle = ink();
    g.font = "11px sans-serif";
    g.strokeRect(pad.l, pad.t, width - pad.l - pad.r, height - pad.t - pad.b);
    if (history.length < 2) {
      g.fillText("the smoothed loss appears here while training", pad.l + 8, pad.t + 20);
      return;
    }
    const xs = history.map((p) => p[0]);
    const ys = history.map((p) => p[1]).filter(Number.isFinite);
    const [x0, x1] = [xs[0], xs[xs.length - 1]];
    const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    const sx = (x) => pad.l + ((x - x0) / Math.max(1e-9, x1 - x0)) * (width - pad.l - pad.r);
    const sy = (y) => pad.t + (1 - (y - y0) / Math.max(1e-9, y1 - y0)) * (height - pad.t - pad.b);
    const digits = y1 - y0 < 0.1 ? 4 : 2; // a small range: its ends must differ
    g.fillText(y1.toFixed(digits), 4, pad.t + 8);
    g.fillText(y0.toFixed(digits), 4, height - pad.b);
    g.fillText(`step ${x0}`, pad.l, height - 6);
    const last = `step ${x1}`;
    g.fillText(last, width - pad.r - g.measureText(last).width, height - 6);
    g.strokeStyle = "#c0392b";
    g.lineWidth = 1.5;
    g.beginPath();
    history.forEach(([x, y], i) => (i ? g.lineTo(sx(x), sy(y)) : g.moveTo(sx(x), sy(y))));
    g.stroke();
  }

  // A character as a table shows it: visible, or its code point.
  const show = (c) =>
    c === "\n" ? "↵" : c === " " ? "␣"
    : /^[\p{C}\p{Z}]$/u.test(c) ? `U+${c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}` : c;

  /** F3 at each step of the current window: p of the character that came. */
  function drawWindow(m) {
    const chars = [...m.chars];
    const symbols = [...m.symbols];
    const V = symbols.length;
    const T = Math.min(m.seqLength, chars.length - 1);
    const rows = [];
    for (let t = 0; t < T; t++) {
      const p = m.ps.subarray(t * V, (t + 1) * V);
      const target = symbols.indexOf(chars[t + 1]);
      const top = [...p.keys()].sort((a, b) => p[b] - p[a]).slice(0, 3);
      const pt = target >= 0 ? p[target] : 0;
      rows.push(
        `<tr><td>${t}</td><td><code>${esc(show(chars[t]))}</code></td>` +
        `<td><code>${esc(show(chars[t + 1]))}</code></td>` +
        `<td><span class="rnn-bar" style="width:${Math.round(pt * 100)}px"></span> ${pt.toFixed(3)}</td>` +
        `<td>${top.map((i) => `<span class="rnn-pair"><code>${esc(show(symbols[i]))}</code> ${p[i].toFixed(2)}</span>`).join(" ")}</td>` +
        `<td>${(-Math.log(pt)).toFixed(2)}</td></tr>`,
      );
    }
    const note = m.rewind
      ? "<caption>Training has reached the end of the text: its next step goes back to the " +
        "beginning, with h = 0. What follows is the end of the text, from the state training carries.</caption>"
      : "";
    $("rnn-window").innerHTML = note +
      "<tr><th>t</th><th>x<sub>t</sub></th><th>target</th><th>p[target]</th>" +
      "<th>most likely next</th><th>−ln p</th></tr>" + rows.join("");
  }

  let selectedUnit = 0;
  let lastInspect = null;

  /** h_t over the text: one row per hidden unit, one column per character. */
  function drawHeatmap(m) {
    lastInspect = m;
    const chars = [...m.chars];
    const n = chars.length;
    const H = m.H;
    const cell = Math.min(12, Math.max(3, Math.floor(($("rnn-heatmap").clientWidth || 640) / Math.max(1, n))));
    const rowH = H > 64 ? 3 : 4;
    const top = 2; // room for the frame of the selected row
    const { g, width, height } = context($("rnn-heatmap"), H * rowH + 2 * top);
    g.clearRect(0, 0, width, height);
    for (let t = 0; t < n; t++) {
      for (let i = 0; i < H; i++) {
        g.fillStyle = colour(m.hs[t * H + i]);
        g.fillRect(t * cell, top + i * rowH, cell, rowH);
      }
    }
    selectedUnit = Math.min(selectedUnit, H - 1);
    g.strokeStyle = ink();
    g.lineWidth = 2;
    g.strokeRect(1, top + selectedUnit * rowH - 1, n * cell - 2, rowH + 2);
    $("rnn-heatmap").onclick = (e) => {
      const r = $("rnn-heatmap").getBoundingClientRect();
      selectedUnit = Math.max(0, Math.min(H - 1, Math.floor((e.clientY - r.top - top) / rowH)));
      drawHeatmap(lastInspect);
    };
    $("rnn-unit").textContent = `unit ${selectedUnit} of ${H}`;
    $("rnn-neuron").innerHTML = chars
      .map((c, t) => `<span style="background:${colour(m.hs[t * H + selectedUnit], 0.6)}">` +
        `${esc(c === "\n" ? "↵\n" : c)}</span>`)
      .join("");
  }

  /** tanh's −1 … 1 as blue … white … red (at most `strength` of full colour:
   * lighter behind text). */
  function colour(v, strength = 1) {
    const a = Math.min(1, Math.abs(v)) * strength;
    const fade = Math.round(255 * (1 - a));
    return v >= 0 ? `rgb(255,${fade},${fade})` : `rgb(${fade},${fade},255)`;
  }

  function esc(s) {
    return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  }

  // Another theme (other ink) or another width: draw again.
  const redraw = () => {
    drawPlot();
    if (lastInspect) drawHeatmap(lastInspect);
  };
  new MutationObserver(redraw).observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  window.addEventListener("resize", redraw);

  enable(false);
  drawPlot();
  worker.postMessage({ type: "load", url: new URL("browser/min_char_rnn.wasm", location.href).href });
})();
