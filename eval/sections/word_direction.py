"""Word direction on real recordings: at the default intensity the applied response must look
like the word's SAFE-DB crowd curve (bands 40 Hz … 12.5 kHz), for warm and for bright."""
from __future__ import annotations

import numpy as np

from harness import Context, md_table, tonal
from sections.word_renders import INTENSITY, genre_table, of_set, renders

TITLE = "Word direction on real recordings"
WORDS = ("warm", "bright")


def r_of(render, crowd_curves) -> float:
    mid = tonal.MID_BANDS
    return tonal.pearson(render.applied[mid], crowd_curves[render.word][mid])


def judge(rs_by_word: dict) -> tuple[bool, float]:
    """(passed, share of pairs with r ≥ 0.3): median r ≥ 0.8 for each word and r ≥ 0.3 on ≥ 90 %."""
    allr = np.concatenate([np.asarray(v) for v in rs_by_word.values()])
    share = float(np.mean(allr >= 0.3))
    return share >= 0.9 and all(np.median(v) >= 0.8 for v in rs_by_word.values()), share


def run(ctx: Context):
    rep = ctx.rep
    words = [w for w in WORDS if w in ctx.vocab]
    safe, _ = ctx.crowd()
    crowd_curves = {w: ctx.crowd_curve(w)[0] for w in words if w in safe}
    if len(crowd_curves) < len(WORDS):
        rep.figure("word direction", "not measured: warm/bright missing from the vocabulary or SAFE-DB", "—", False, TITLE)
        return
    result = renders(ctx)
    text = (f"Each clip as it is through `adaptive-eq process --term WORD --intensity {INTENSITY:g}` (adaptive mode); "
            "r between the applied response TBC(out) − TBC(in) and the word's SAFE-DB crowd curve over the "
            "26 bands 40 Hz … 12.5 kHz. Target (real recordings): median r ≥ 0.8 for each word and r ≥ 0.3 on "
            "≥ 90 % of (clip, word) pairs.\n\n")
    rows = []
    rep.data["word_direction"] = {}
    for label, subset in ctx.sets():
        rs = {w: [r_of(x, crowd_curves) for x in of_set(result, subset, (w,))] for w in words}
        passed, share = judge(rs)
        meds = ", ".join(f"{w} median r {np.median(v):+.2f}" for w, v in rs.items())
        rep.figure(f"word direction at intensity {INTENSITY:g}, {label}", f"{meds}; r ≥ 0.3 on {share:.0%} of "
                   f"{sum(map(len, rs.values()))} pairs", "median r ≥ 0.8 each; r ≥ 0.3 on ≥ 90 %", passed, TITLE)
        rows += [(label, w, len(v), f"{np.median(v):+.3f}", f"{np.min(v):+.3f}", f"{np.mean(np.array(v) >= 0.3):.0%}")
                 for w, v in rs.items()]
        rep.data["word_direction"][label] = rs
    text += md_table(["clips", "word", "pairs", "median r", "min r", "r ≥ 0.3"], rows)

    def per_genre(rs):
        return [f"{np.median([r_of(x, crowd_curves) for x in rs if x.word == w]):+.2f}" for w in words]
    genre_rows = genre_table(ctx.clips, result, words, per_genre)
    rep.genre_cells([f"{w} r" for w in words], genre_rows)
    text += "\nPer genre (median r):\n\n" + md_table(["genre", "clips"] + words, genre_rows)
    per_clip = [(c.name, c.genre) + tuple(f"{r_of(result[(c.name, w)], crowd_curves):+.2f}" for w in words)
                for c in ctx.clips if all((c.name, w) in result for w in words)]
    text += "\n<details><summary>Per-clip r</summary>\n\n" + md_table(["clip", "genre"] + words, per_clip)
    text += "\n</details>\n"
    rep.add(TITLE, text)
    real = {c.name for c in ctx.real} or {c.name for c in ctx.clips}
    rep.data["word_direction_curves"] = {
        w: (np.array([x.applied for x in of_set(result, [c for c in ctx.clips if c.name in real], (w,))]),
            crowd_curves[w]) for w in words}


def plot(rep, plt, save):
    curves = rep.data.get("word_direction_curves")
    if not curves:
        return
    fig, axes = plt.subplots(1, len(curves), figsize=(9, 3.2), sharey=True)
    for ax, (w, (applied, crowd)) in zip(np.atleast_1d(axes), curves.items()):
        if len(applied):
            lo, med, hi = np.percentile(applied, [10, 50, 90], axis=0)
            ax.fill_between(tonal.BAND_CENTRES, lo, hi, color="C0", alpha=0.25, label="applied, 10–90 % of clips")
            ax.semilogx(tonal.BAND_CENTRES, med, "-o", ms=2, color="C0", label="applied, median")
        ax.semilogx(tonal.BAND_CENTRES, crowd - crowd[tonal.REFERENCE_BANDS].mean(), "--", color="C1",
                    label="SAFE-DB crowd curve (level-free)")
        ax.axvspan(20, 40 / 2 ** (1 / 6), color="0.9")
        ax.axvspan(12_500 * 2 ** (1 / 6), 20_000, color="0.9")
        ax.set_title(f"{w} at intensity {INTENSITY:g}")
        ax.set_xlabel("Hz")
        ax.grid(alpha=0.3)
    np.atleast_1d(axes)[0].set_ylabel("dB")
    np.atleast_1d(axes)[0].legend(fontsize=6)
    save(fig, "word_direction.png", TITLE)
