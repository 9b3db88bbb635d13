#!/usr/bin/env python3
"""Draws book/src/img/unrolled.svg: the RNN unrolled over the "hello" window.

Forward (black): x_t -> h_t -> y_t, p_t -> loss l_t, and h_{t-1} -> h_t.
Backward (red, dashed): dy_t flows down into h_t, dhnext flows right to left.
Run: python3 book/tools/unrolled.py   (no dependencies)
"""
import os

inputs, targets = "hell", "ello"
W, H = 760, 470
col = lambda t: 150 + t * 160
out = []
add = out.append
add(f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
    'font-family="sans-serif" font-size="14">')
add('<defs>'
    '<marker id="fwd" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
    '<path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker>'
    '<marker id="bwd" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
    '<path d="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker></defs>')
add('<rect width="100%" height="100%" fill="white"/>')
add('<text x="380" y="24" text-anchor="middle" font-size="16">min-char-rnn unrolled over one window '
    '(T = 4): inputs "hell", targets "ello"</text>')


def box(x, y, w, h, label, fill, sub=None):
    add(f'<rect x="{x - w / 2}" y="{y - h / 2}" width="{w}" height="{h}" rx="8" fill="{fill}" stroke="#333"/>')
    add(f'<text x="{x}" y="{y + 5}" text-anchor="middle">{label}</text>')
    if sub:
        add(f'<text x="{x}" y="{y + h / 2 + 15}" text-anchor="middle" font-size="11" fill="#555">{sub}</text>')


def arrow(x1, y1, x2, y2, back=False, label=None, lx=0, ly=0):
    style = 'stroke="#c62828" stroke-dasharray="6 4" marker-end="url(#bwd)"' if back else \
        'stroke="#222" marker-end="url(#fwd)"'
    add(f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke-width="1.6" {style}/>')
    if label:
        color = "#c62828" if back else "#222"
        add(f'<text x="{(x1 + x2) / 2 + lx}" y="{(y1 + y2) / 2 + ly}" font-size="12" fill="{color}" '
            f'text-anchor="middle">{label}</text>')


y_x, y_h, y_p, y_l = 400, 280, 160, 70
box(40, y_h, 60, 40, "hprev", "#eeeeee", "h₋₁")
for t in range(4):
    c = col(t)
    box(c, y_x, 70, 36, f"x{t} = '{inputs[t]}'", "#e3f2fd", "one-hot, V = 4")
    box(c, y_h, 60, 40, f"h{t}", "#fff8e1")
    box(c, y_p, 90, 40, f"y{t}, p{t}", "#e8f5e9")
    box(c, y_l, 110, 34, f"l{t} = −ln p[‘{targets[t]}’]", "#fce4ec")
    arrow(c, y_x - 18, c, y_h + 22, label="Wxh", lx=-22)
    arrow(c - 6, y_h - 20, c - 6, y_p + 22, label="Why", lx=-24)
    arrow(c - 6, y_p - 20, c - 6, y_l + 19)
    arrow(c + 8, y_l + 19, c + 8, y_p - 20, back=True, label="dy", lx=18)
    arrow(c + 8, y_p + 20, c + 8, y_h - 22, back=True, label="Whyᵀdy", lx=34)
    prev = 40 if t == 0 else col(t - 1)
    arrow(prev + 32, y_h - 6, c - 32, y_h - 6, label="Whh", ly=-6)
    if t > 0:
        arrow(c - 32, y_h + 10, prev + 32, y_h + 10, back=True, label="dhnext", ly=16)
arrow(col(3) + 32, y_h - 6, col(3) + 100, y_h - 6, label="next hprev", ly=-8)
add(f'<text x="380" y="{H - 12}" text-anchor="middle" font-size="12" fill="#555">'
    'black: forward pass, t = 0 … 3 (F0–F5); red dashed: backward pass, t = 3 … 0 (B1–B6). '
    'L = l0 + l1 + l2 + l3.</text>')
add('</svg>')
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "img", "unrolled.svg")
with open(path, "w") as f:
    f.write("\n".join(out) + "\n")
print("wrote", os.path.normpath(path))
