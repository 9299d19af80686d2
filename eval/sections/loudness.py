"""Loudness: the same renders keep their integrated loudness (ITU-R BS.1770, pyloudnorm) and
never reach full scale."""
from __future__ import annotations

import numpy as np

from harness import Context, md_table
from sections.word_renders import INTENSITY, WORDS, genre_table, of_set, renders

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
    per_genre = rep.data["loudness_genre"][label]
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True, gridspec_kw={"width_ratios": [len(per_word), len(per_genre)]})
    for ax, groups, title in ((axes[0], per_word, "by word"), (axes[1], per_genre, "by genre, all four words")):
        ax.boxplot([groups[k] for k in groups], tick_labels=list(groups), whis=(0, 100))
        for y in (-MAX_LU, MAX_LU):
            ax.axhline(y, color="C3", ls="--", lw=0.8)
        ax.set_title(title)
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel("ΔLU (output − input)")
    fig.suptitle(f"Loudness change at intensity {INTENSITY:g} ({label}; dashed: ±{MAX_LU:g} LU)")
    save(fig, "loudness.png", TITLE)
