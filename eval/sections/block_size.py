"""Block-size invariance: the same file through --block-size 1, 64, 512 and 4096."""
from __future__ import annotations

import numpy as np

from harness import Context, md_table, verdict, write_float_wav

TITLE = "Block-size invariance"


def run(ctx: Context):
    rep, cli, vocab, tmp, clips = ctx.rep, ctx.cli, ctx.vocab, ctx.tmp, ctx.clips
    c = next((c for c in clips if c.kind == "music"), clips[0])
    n = min(len(c.x), 10 * c.fs)
    x = c.x[:n, :1]
    x = np.concatenate([x, 0.7 * np.roll(x, 37, axis=0)], axis=1)  # stereo: two different channels
    src = tmp / "bs.wav"
    write_float_wav(src, c.fs, x)
    cases = []
    if "warm" in vocab:
        cases.append(("adaptive warm, intensity 1", ["--term", "warm", "--intensity", "1"]))
    if "bright" in vocab:
        cases.append(("adaptive bright, intensity 0.6", ["--term", "bright", "--intensity", "0.6"]))
    cases.append(("static warm, intensity 1", ["--term", "warm", "--mode", "static", "--intensity", "1"]))
    cases.append(("manual --eq", ["--eq", "6,120,-4,500,2,3,2000,1,-6,6000,4,6,9000"]))
    rows, worst = [], 0.0
    for label, args in cases:
        outs = {}
        for bs in (1, 64, 512, 4096):
            _, outs[bs] = cli.process(src, tmp / f"bs_{bs}.wav", *args, "--block-size", str(bs))
        diffs = {bs: float(np.max(np.abs(outs[bs] - outs[512]))) for bs in (1, 64, 4096)}
        d = max(diffs.values())
        worst = max(worst, d)
        rows.append((label,) + tuple(f"{diffs[bs]:.1e}" for bs in (1, 64, 4096)) + (verdict(d <= 1e-6),))
    rep.figure("block-size invariance (1/64/512/4096)", f"max abs diff {worst:.1e}", "≤ 1e-6", worst <= 1e-6, TITLE)
    text = (f"First {n / c.fs:.0f} s of `{c.name}` as a stereo float WAV (right = delayed, scaled left), processed "
            f"with `--block-size` 1, 64, 512, 4096; max abs difference against block size 512.\n\n")
    text += md_table(["case", "1 vs 512", "64 vs 512", "4096 vs 512", "≤ 1e-6"], rows)
    rep.add(TITLE, text)
