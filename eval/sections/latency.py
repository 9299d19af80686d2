"""Added latency: the first non-zero output sample for an impulse, and the latency hosts are told."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from harness import ROOT, Context, md_table, verdict, write_float_wav

TITLE = "Added latency"


def run(ctx: Context):
    rep, cli, vocab, tmp = ctx.rep, ctx.cli, ctx.vocab, ctx.tmp
    fs, at = 44_100, 1000
    x = np.zeros((2 * fs, 1))
    x[at, 0] = 0.5
    src = tmp / "lat.wav"
    write_float_wav(src, fs, x)
    cases = []
    for w in ("warm", "bright"):
        if w in vocab:
            cases.append((f"adaptive {w}, intensity 1", ["--term", w, "--intensity", "1"]))
    if "warm" in vocab:
        cases.append(("adaptive warm, intensity 0.5", ["--term", "warm", "--intensity", "0.5"]))
    cases.append(("static warm, intensity 1", ["--term", "warm", "--mode", "static", "--intensity", "1"]))
    cases.append(("manual --eq", ["--eq", "6,120,-4,500,2,3,2000,1,-6,6000,4,6,9000"]))
    rows, worst = [], 0
    for label, args in cases:
        _, y = cli.process(src, tmp / "lat_out.wav", *args)
        nz = np.flatnonzero(np.abs(y[:, 0]) > 0)
        first = int(nz[0]) - at if len(nz) else None
        before = bool(np.any(y[:at, 0] != 0))
        lat = first if first is not None else 10 ** 9
        worst = max(worst, abs(lat))
        rows.append((label, first, "yes" if before else "no", verdict(first == 0 and not before)))
    rep.figure("added latency (CLI, impulse)", f"{worst} samples", "0 samples", worst == 0, TITLE)
    ttl_note = ""
    ttl = Path(os.environ.get("EVAL_LV2_TTL", ROOT / ".build-lv2" / "bundle" / "adaptive-eq.lv2" / "adaptive-eq.ttl"))
    if ttl.exists():
        txt = ttl.read_text(errors="replace")
        ports = [blk for blk in txt.split("] ,") if "lv2:reportsLatency" in blk]
        zero = bool(ports) and all("lv2:maximum 0.0" in blk and "lv2:default 0.0" in blk for blk in ports)
        ttl_note = (f"\nLatency reported to hosts: the LV2 description `{os.path.relpath(ttl, ROOT)}` (a local build, "
                    f"may be older than this commit) declares {len(ports)} `lv2:reportsLatency` port(s), "
                    f"{'all with default = maximum = 0' if zero else '**not all fixed at 0**'}.\n")
        rep.figure("latency reported to hosts (LV2 TTL)", f"{len(ports)} latency ports, " + ("fixed 0" if zero else "not 0"),
                   "0 samples", zero, TITLE)
    text = (f"Float WAV, impulse of 0.5 at sample {at} of 2 s; index of the first non-zero output sample minus "
            f"{at}, and whether anything non-zero comes out before the impulse.\n\n")
    text += md_table(["case", "first non-zero − impulse", "output before impulse", "0 samples"], rows) + ttl_note
    rep.add(TITLE, text)
