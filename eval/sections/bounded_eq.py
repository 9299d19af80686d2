"""Bounded EQ: at the default intensity the applied response stays within ±9 dB over
40 Hz … 12.5 kHz on nearly every (clip, word) pair (warm, bright, airy, boomy)."""
from __future__ import annotations

import numpy as np

from harness import Context, md_table, tonal
from sections.word_renders import INTENSITY, WORDS, box_plots, genre_table, of_set, renders

TITLE = "Bounded EQ"
LIMIT_DB = 9.0
SHARE = 0.95


#: Band limits read as exact centres (49.6 Hz … 10.1 kHz; level reference 125 Hz … 7.9 kHz), as
#: the project's black-box metric tool reads "40 Hz … 12.5 kHz" and "100 Hz … 10 kHz"; shown
#: beside the figure so the two measurements can be compared.
EXACT_MID = (tonal.BAND_CENTRES >= 40) & (tonal.BAND_CENTRES <= 12_500)
EXACT_REFERENCE = (tonal.BAND_CENTRES >= 100) & (tonal.BAND_CENTRES <= 10_000)


def max_applied_db(render, exact: bool = False) -> float:
    if exact:
        a = render.applied - render.applied[EXACT_REFERENCE].mean()
        return float(np.max(np.abs(a[EXACT_MID])))
    return float(np.max(np.abs(render.applied[tonal.MID_BANDS])))


def run(ctx: Context):
    rep = ctx.rep
    words = [w for w in WORDS if w in ctx.vocab]
    result = renders(ctx)
    text = (f"The same renders as the word direction (intensity {INTENSITY:g}; words {', '.join(words)}): max "
            f"|TBC(out) − TBC(in)| over the bands 40 Hz … 12.5 kHz per (clip, word). Target (real recordings): "
            f"≤ {LIMIT_DB:g} dB on ≥ {SHARE:.0%} of pairs.\n\n")
    rows = []
    rep.data["bounded"] = {}
    for label, subset in ctx.sets():
        m = np.array([max_applied_db(r) for r in of_set(result, subset, words)])
        share = float(np.mean(m <= LIMIT_DB))
        rep.figure(f"bounded EQ at intensity {INTENSITY:g}, {label}",
                   f"≤ {LIMIT_DB:g} dB on {share:.0%} of {len(m)} pairs (median {np.median(m):.1f} dB, worst {m.max():.1f} dB)",
                   f"≤ {LIMIT_DB:g} dB on ≥ {SHARE:.0%} of pairs", share >= SHARE, TITLE)
        e = np.array([max_applied_db(r, exact=True) for r in of_set(result, subset, words)])
        rep.figure(f"bounded EQ, exact-centre band limits (diagnostic), {label}",
                   f"≤ {LIMIT_DB:g} dB on {np.mean(e <= LIMIT_DB):.0%} of {len(e)} pairs (worst {e.max():.1f} dB)",
                   "no target (comparison)", None, TITLE)
        for w in words:
            v = np.array([max_applied_db(r) for r in of_set(result, subset, (w,))])
            rows.append((label, w, len(v), f"{np.median(v):.1f}", f"{v.max():.1f}", f"{np.mean(v <= LIMIT_DB):.0%}"))
        rep.data["bounded"][label] = {w: [max_applied_db(r) for r in of_set(result, subset, (w,))] for w in words}
        rep.data.setdefault("bounded_genre", {})[label] = {
            g: [max_applied_db(r) for r in of_set(result, [c for c in subset if c.genre == g], words)]
            for g in sorted({c.genre for c in subset})}
    text += md_table(["clips", "word", "pairs", "median max dB", "worst dB", f"≤ {LIMIT_DB:g} dB"], rows)

    def per_genre(rs):
        m = np.array([max_applied_db(r) for r in rs])
        return f"{np.median(m):.1f}", f"{m.max():.1f}", f"{np.mean(m <= LIMIT_DB):.0%}"
    genre_rows = genre_table(ctx.clips, result, words, per_genre)
    rep.genre_cells(["applied max dB (median)", f"applied ≤ {LIMIT_DB:g} dB"], [(g, n, m, share) for g, n, m, _, share in genre_rows])
    text += "\nPer genre (all four words):\n\n" + md_table(["genre", "clips", "median max dB", "worst dB", f"≤ {LIMIT_DB:g} dB"],
                                                          genre_rows)
    text += ("\nThe bands are the nominal one-third octaves 40 Hz … 12.5 kHz (exact centres 39.4 Hz … 12.7 kHz, "
             "26 bands) and the level reference the nominal 100 Hz … 10 kHz; the diagnostic row *exact-centre band "
             "limits* reads both ranges as limits on the exact centres (49.6 Hz … 10.1 kHz; 125 Hz … 7.9 kHz) "
             "instead, which leaves out the outermost bands where shelves are largest.\n")
    rep.add(TITLE, text)


def plot(rep, plt, save):
    data = rep.data.get("bounded")
    if not data:
        return
    label, per_word = next(iter(data.items()))
    fig = box_plots(plt, per_word, rep.data["bounded_genre"][label], "max |applied| 40 Hz–12.5 kHz, dB",
                    f"Bounded EQ at intensity {INTENSITY:g} ({label}; dashed: {LIMIT_DB:g} dB)", (LIMIT_DB,))
    save(fig, "bounded_eq.png", TITLE)
