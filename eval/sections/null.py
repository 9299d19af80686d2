"""Null: intensity 0 leaves the audio untouched (adaptive, static and a flat manual EQ)."""
from __future__ import annotations

import numpy as np

from harness import Context, md_table, verdict

TITLE = "Null at intensity 0"


def run(ctx: Context):
    rep, cli, vocab, tmp, clips = ctx.rep, ctx.cli, ctx.vocab, ctx.tmp, ctx.clips
    cases = []
    words = [w for w in ("warm", "bright", "airy") if w in vocab][:2] or list(vocab)[:1]
    for w in words:
        cases.append((f"adaptive `--term {w} --intensity 0`", ["--term", w, "--intensity", "0"], True))
    cases.append(("static `--term warm --mode static --intensity 0`", ["--term", "warm", "--mode", "static", "--intensity", "0"], True))
    cases.append(("manual `--eq` with all gains 0", ["--eq", "0,100,0,300,1,0,1000,1,0,3000,1,0,8000"], False))
    rows, worst_model = [], 0.0
    for label, args, counts in cases:
        worst, same_len = 0.0, True
        for c in clips:
            try:
                _, y = cli.process(c.float_path, tmp / "null.wav", *args)
            except RuntimeError as e:
                worst, same_len = float("inf"), False
                rep.problems.append(f"null {label}: {e}")
                break
            same_len &= y.shape == c.x.shape
            n = min(len(y), len(c.x))
            worst = max(worst, float(np.max(np.abs(y[:n] - c.x.astype(np.float32)[:n]))))
        if counts:
            worst_model = max(worst_model, worst)
        rows.append((label, f"{worst:.2e}", "yes" if same_len else "**no**", verdict(worst <= 1e-6 and same_len)))
    rep.figure("null at intensity 0", f"max abs diff {worst_model:.2e} over {len(clips)} clips", "≤ 1e-6",
               worst_model <= 1e-6, TITLE)
    rep.add(TITLE, "Clips converted to 32-bit float WAV, processed, compared sample by sample.\n\n"
            + md_table(["case", "max abs(out − in)", "same length", "≤ 1e-6"], rows))
