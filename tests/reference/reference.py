#!/usr/bin/env python3
"""Independent numpy reference for the golden test (tests/golden.rs).

This is Karpathy's min-char-rnn training loop, transcribed from the original
gist with three deliberate differences: the vocabulary is sorted (Python's set
order is not reproducible), the initial weights come from a seeded numpy
generator, and there is no sampling. It writes tests/reference/golden.bin,
which the Rust test reads with include_bytes!, so CI never needs Python.

    python3 tests/reference/reference.py      # numpy >= 1.20

File layout (all little-endian):
    b"MCRGOLD1", u32 number of cases, then per case:
    u32 V, H, T, steps, text_bytes; the UTF-8 text;
    f64 arrays, parameters in the order Wxh Whh Why bh by (row-major):
      initial parameters                               P = 2VH + HH + H + V
      per step: loss, smooth loss                      2 * steps
      step 1: raw (unclipped) gradients                P
      step 1: hprev after the step                     H
      after all steps: parameters, Adagrad memory      P, P
      after all steps: hprev                           H
"""
import os
import struct

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def loss_fun(params, inputs, targets, hprev, vocab_size, clip):
    """Forward and backward pass, as in min-char-rnn's lossFun."""
    Wxh, Whh, Why, bh, by = params
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0.0
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab_size, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t] - np.max(ys[t])) / np.sum(np.exp(ys[t] - np.max(ys[t])))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    grads = [dWxh, dWhh, dWhy, dbh, dby]
    raw = [np.copy(g) for g in grads]
    if clip:
        for g in grads:
            np.clip(g, -5, 5, out=g)
    return loss, grads, raw, hs[len(inputs) - 1]


def run_case(text, hidden_size, seq_length, steps, seed, scale, must_clip):
    chars = sorted(set(text))
    data = text
    vocab_size = len(chars)
    char_to_ix = {ch: i for i, ch in enumerate(chars)}
    rng = np.random.RandomState(seed)
    Wxh = rng.randn(hidden_size, vocab_size) * scale
    Whh = rng.randn(hidden_size, hidden_size) * scale
    Why = rng.randn(vocab_size, hidden_size) * scale
    bh = np.zeros((hidden_size, 1))
    by = np.zeros((vocab_size, 1))
    params = [Wxh, Whh, Why, bh, by]
    initial = [np.copy(p) for p in params]
    mems = [np.zeros_like(p) for p in params]
    learning_rate = 1e-1
    n, p = 0, 0
    smooth_loss = -np.log(1.0 / vocab_size) * seq_length
    losses, first_raw, first_hprev, clipped = [], None, None, False
    hprev = None
    while n < steps:
        if p + seq_length + 1 >= len(data) or n == 0:
            hprev = np.zeros((hidden_size, 1))
            p = 0
        inputs = [char_to_ix[ch] for ch in data[p:p + seq_length]]
        targets = [char_to_ix[ch] for ch in data[p + 1:p + seq_length + 1]]
        loss, grads, raw, hprev = loss_fun(params, inputs, targets, hprev, vocab_size, True)
        clipped |= any(np.abs(g).max() > 5 for g in raw)
        if n == 0:
            first_raw, first_hprev = raw, np.copy(hprev)
        smooth_loss = smooth_loss * 0.999 + loss * 0.001
        losses += [loss, smooth_loss]
        for param, dparam, mem in zip(params, grads, mems):
            mem += dparam * dparam
            param += -learning_rate * dparam / np.sqrt(mem + 1e-8)
        p += seq_length
        n += 1
    assert clipped == must_clip, "this case is meant to %sexercise clipping" % ("" if must_clip else "not ")
    flat = lambda arrays: np.concatenate([a.ravel() for a in arrays])
    encoded = text.encode("utf-8")
    out = struct.pack("<5I", vocab_size, hidden_size, seq_length, steps, len(encoded)) + encoded
    for block in [flat(initial), np.array(losses), flat(first_raw), first_hprev.ravel(),
                  flat(params), flat(mems), hprev.ravel()]:
        out += block.astype("<f8").tobytes()
    print("case V=%d H=%d T=%d steps=%d: losses %s" % (vocab_size, hidden_size, seq_length, steps,
          " ".join("%.6f" % l for l in losses[0::2])))
    return out


def main():
    cases = [
        # min-char-rnn exactly: weights N(0, 0.01^2); 7 windows over 23 chars,
        # so the pointer wraps and hprev is reset at the 5th window (n = 4).
        run_case("hello world, hello rnn!", 8, 5, 7, seed=1, scale=0.01, must_clip=False),
        # Large weights and a repetitive Hungarian text: multi-byte chars, and
        # gradients beyond [-5, 5], so the clipping is checked too.
        run_case("ááááááááb árvíztűrő tükörfúrógép ááááááááb", 6, 10, 5, seed=2, scale=1.0,
                 must_clip=True),
    ]
    blob = b"MCRGOLD1" + struct.pack("<I", len(cases)) + b"".join(cases)
    with open(os.path.join(HERE, "golden.bin"), "wb") as f:
        f.write(blob)
    print("wrote golden.bin, %d bytes" % len(blob))


if __name__ == "__main__":
    main()
