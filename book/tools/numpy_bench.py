#!/usr/bin/env python3
"""min-char-rnn's own training loop in numpy, timed: the repository's numpy
transcription (tests/reference/reference.py's loss_fun, with clipping and
Adagrad as in the gist) on examples/data/shakespeare.txt, H = 100, T = 25.
Prints `chars/s N` last, like examples/bench.rs. Needs numpy (>= 1.20).

    python3 book/tools/numpy_bench.py [STEPS]      # default 1000
"""
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "reference"))
from reference import loss_fun  # noqa: E402

steps = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
with open(os.path.join(HERE, "..", "..", "examples", "data", "shakespeare.txt"), encoding="utf-8") as f:
    data = f.read()
chars = sorted(set(data))
vocab_size, hidden_size, seq_length = len(chars), 100, 25
char_to_ix = {ch: i for i, ch in enumerate(chars)}
rng = np.random.RandomState(42)
params = [rng.randn(hidden_size, vocab_size) * 0.01, rng.randn(hidden_size, hidden_size) * 0.01,
          rng.randn(vocab_size, hidden_size) * 0.01, np.zeros((hidden_size, 1)),
          np.zeros((vocab_size, 1))]
mems = [np.zeros_like(p) for p in params]
p, hprev = 0, np.zeros((hidden_size, 1))
start = time.perf_counter()
for n in range(steps):
    if p + seq_length + 1 >= len(data) or n == 0:
        hprev, p = np.zeros((hidden_size, 1)), 0
    inputs = [char_to_ix[ch] for ch in data[p:p + seq_length]]
    targets = [char_to_ix[ch] for ch in data[p + 1:p + seq_length + 1]]
    loss, grads, _, hprev = loss_fun(params, inputs, targets, hprev, vocab_size, clip=True)
    for param, dparam, mem in zip(params, grads, mems):
        mem += dparam * dparam
        param += -0.1 * dparam / np.sqrt(mem + 1e-8)
    p += seq_length
secs = time.perf_counter() - start
print(f"numpy {np.__version__}: {steps} steps in {secs:.2f} s")
print(f"chars/s {steps * seq_length / secs:.1f}")
