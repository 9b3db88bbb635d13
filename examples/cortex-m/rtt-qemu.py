#!/usr/bin/env python3
"""Runs a board build of the demo (feature `rtt`) under QEMU, as on a board
with no debugger attached: no semihosting (a semihosting call faults, as it
would stop a real core), output only through RTT, which this script reads
the way a probe does, from the RTT control block in RAM (here through QEMU's
monitor). Prints that output and exits with the status the demo printed
("[exit] status N"), 1 on a fault, 2 on a timeout.

    python3 rtt-qemu.py netduinoplus2 0x20000 target/rtt/thumbv7em-none-eabihf/release/min-char-rnn-cortex-m

QEMU has neither board: `netduinoplus2` (an STM32F405: flash at 0x0800_0000,
128 KiB of RAM at 0x2000_0000) runs the `nucleo-f411` build, `mps2-an386`
(code memory at 0, 4 MiB of RAM at 0x2000_0000) the `nrf52840-dk` one. QEMU
has no DWT cycle counter, so the speed lines read 0 cycles.
"""
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import time

RAM = 0x2000_0000


def rtt_output(ram: bytes) -> str:
    """The text in up channel 0 (written from offset 0: nobody read it)."""
    at = ram.find(b"SEGGER RTT\0")
    if at < 0:
        return ""
    _name, buf, size, write, _read, _flags = struct.unpack_from("<6I", ram, at + 24)
    start = buf - RAM
    return ram[start : start + min(write, size)].decode("utf-8", "replace")


def main() -> int:
    machine, ram_size, elf = sys.argv[1], int(sys.argv[2], 0), sys.argv[3]
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 120
    tmp = tempfile.mkdtemp()
    sock, dump = os.path.join(tmp, "monitor"), os.path.join(tmp, "ram.bin")
    qemu = subprocess.Popen(
        ["qemu-system-arm", "-machine", machine, "-display", "none", "-serial", "none",
         "-monitor", f"unix:{sock},server=on,wait=off", "-kernel", elf])
    try:
        while not os.path.exists(sock):
            time.sleep(0.1)
        mon = socket.socket(socket.AF_UNIX)
        mon.connect(sock)

        def command(line: str) -> None:
            mon.sendall(line.encode() + b"\n")
            reply = b""
            while not reply.endswith(b"(qemu) ") or line.encode() not in reply:
                reply += mon.recv(4096)

        command("")
        deadline, text = time.monotonic() + timeout, ""
        while time.monotonic() < deadline and qemu.poll() is None:
            time.sleep(1)
            command(f'pmemsave {RAM:#x} {ram_size:#x} "{dump}"')
            with open(dump, "rb") as f:
                text = rtt_output(f.read())
            status = re.search(r"^\[exit\] status (\d+)$", text, re.M)
            if status or "HardFault" in text:
                sys.stdout.write(text)
                return int(status.group(1)) if status else 1
        sys.stdout.write(text)
        print(f"rtt-qemu: no exit status within {timeout:.0f} s", file=sys.stderr)
        return 2
    finally:
        qemu.kill()
        qemu.wait()


if __name__ == "__main__":
    sys.exit(main())
