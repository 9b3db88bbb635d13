#!/usr/bin/env bash
# Puts Debian's QEMU 7.2 (qemu-system-arm, qemu-system-misc) under $QEMU_HOME
# without installing it: the machine's qemu-utils backport conflicts with
# `apt-get install qemu-system-arm`. Idempotent; prints the bin directory.
set -euo pipefail
QEMU_HOME="${QEMU_HOME:-$HOME/.cache/qemu-7.2}"
if [ ! -x "$QEMU_HOME/usr/bin/qemu-system-arm" ] || [ ! -x "$QEMU_HOME/usr/bin/qemu-system-riscv32" ]; then
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends \
    libfdt1 libcapstone4 libpmem1 librdmacm1 libibverbs1 libslirp0 libvdeplug2 >&2
  mkdir -p "$QEMU_HOME"
  ( cd "$QEMU_HOME" && apt-get download qemu-system-arm qemu-system-misc >&2 \
    && for d in qemu-system-*.deb; do dpkg -x "$d" .; done && rm -f qemu-system-*.deb )
fi
echo "$QEMU_HOME/usr/bin"
