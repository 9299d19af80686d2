"""Loudness: the same renders keep their integrated loudness (ITU-R BS.1770, pyloudnorm) and
never reach full scale."""
from __future__ import annotations

import numpy as np

from harness import Context, md_table
from sections.word_renders import INTENSITY, WORDS, box_plots, genre_table, of_set, renders

TITLE = "Loudness"
MEDIAN_LU, MAX_LU = 0.5, 1.0


def run(ctx: Context):
    rep = ctx.rep
    words = [w for w in WORDS if w in ctx.vocab]
    result = renders(ctx)
    text = (f"The same renders as the word direction (intensity {INTENSITY:g}; words {', '.join(words)}): "
            "integrated loudness of output − input (pyloudnorm, ITU-R BS.1770 K-weighting, gated), and renders "
            "with any sample at full scale (|y| ≥ 32767/32768: clipped in a 16-bit file). Outputs keep the "
            f"input's format. Target: |ΔLU| median ≤ {MEDIAN_LU:g}, max ≤ {MAX_LU:g}; no render at full scale.\n\n")
    rows = []
    rep.data["loudness"] = {}
    for label, subset in ctx.sets():
        rs = [r for r in of_set(result, subset, words) if np.isfinite(r.delta_lu)]
        d = np.abs([r.delta_lu for r in rs])
        full = sum(r.full_scale > 0 for r in of_set(result, subset, words))
        ok = bool(len(d)) and np.median(d) <= MEDIAN_LU and d.max() <= MAX_LU and full == 0
        rep.figure(f"loudness at intensity {INTENSITY:g}, {label}",
                   f"|ΔLU| median {np.median(d):.2f}, max {d.max():.2f}; {full} of {len(of_set(result, subset, words))} "
                   "renders at full scale", f"median ≤ {MEDIAN_LU:g} LU, max ≤ {MAX_LU:g} LU, none at full scale", ok, TITLE)
        for w in words:
            v = [r.delta_lu for r in rs if r.word == w]
            rows.append((label, w, len(v), f"{np.median(v):+.2f}", f"{np.median(np.abs(v)):.2f}", f"{np.max(np.abs(v)):.2f}",
                         sum(r.full_scale > 0 for r in of_set(result, subset, (w,)))))
        rep.data["loudness"][label] = {w: [r.delta_lu for r in rs if r.word == w] for w in words}
        rep.data.setdefault("loudness_genre", {})[label] = {
            g: [r.delta_lu for r in rs if r.clip.genre == g] for g in sorted({c.genre for c in subset})}
    text += md_table(["clips", "word", "renders", "median ΔLU", "median |ΔLU|", "max |ΔLU|", "at full scale"], rows)

    def per_genre(rs):
        d = np.array([r.delta_lu for r in rs if np.isfinite(r.delta_lu)])
        return f"{np.median(np.abs(d)):.2f}", f"{np.max(np.abs(d)):.2f}", sum(r.full_scale > 0 for r in rs)
    genre_rows = genre_table(ctx.clips, result, words, per_genre)
    rep.genre_cells(["median |ΔLU|", "max |ΔLU|", "renders at full scale"], genre_rows)
    text += "\nPer genre (all four words):\n\n" + md_table(["genre", "clips", "median |ΔLU|", "max |ΔLU|", "at full scale"],
                                                          genre_rows)
    worst = sorted((r for r in of_set(result, ctx.clips, words) if r.full_scale > 0), key=lambda r: -r.full_scale)
    if worst:
        text += "\nRenders at full scale (worst first):\n\n" + md_table(
            ["clip", "word", "output peak dBFS", "samples at full scale", "ΔLU"],
            [(r.clip.name, r.word, f"{r.peak_dbfs:.2f}", r.full_scale, f"{r.delta_lu:+.2f}") for r in worst[:12]])
    rep.add(TITLE, text)


def plot(rep, plt, save):
    data = rep.data.get("loudness")
    if not data:
        return
    label, per_word = next(iter(data.items()))
    fig = box_plots(plt, per_word, rep.data["loudness_genre"][label], "ΔLU (output − input)",
                    f"Loudness change at intensity {INTENSITY:g} ({label}; dashed: ±{MAX_LU:g} LU)", (-MAX_LU, MAX_LU))
    save(fig, "loudness.png", TITLE)
