"""Term contrast on real audio: with the same input, the difference between two words' outputs
should look like the difference between their crowd curves."""
from __future__ import annotations

import numpy as np

from harness import FULL_SCALE, Context, by_genre, md_table, pmap, tonal, verdict

TITLE = "Term contrast on real audio"
PAIRS = (("warm", "bright"), ("deep", "thin"), ("boomy", "tinny"), ("full", "thin"), ("muddy", "clear"),
         ("warm", "airy"))
QUICK_PAIRS = 2  # quick mode: warm/bright and deep/thin


def run(ctx: Context):
    rep, vocab, clips = ctx.rep, ctx.vocab, ctx.clips
    pairs = [(a, b) for a, b in PAIRS[: QUICK_PAIRS if ctx.quick else None] if a in vocab and b in vocab]
    skipped = [(a, b) for a, b in PAIRS if (a, b) not in pairs]
    words = sorted({w for p in pairs for w in p})

    def one(item):
        c, w = item
        out = ctx.tmp / f"contrast_{c.name}_{w}.wav"
        fs, y = ctx.cli.process(c.path, out, "--term", w, "--intensity", "1")
        out.unlink(missing_ok=True)
        return (c.name, w), (tonal.tbc(y, fs), tonal.peak_dbfs(y), int(np.sum(np.abs(y) >= FULL_SCALE)))

    res = dict(pmap(one, [(c, w) for c in clips for w in words], ctx.jobs))
    rows, all_r, genre_rows = [], {}, []
    for a, b in pairs:
        (ca, sa), (cb, sb) = ctx.crowd_curve(a), ctx.crowd_curve(b)
        rs = {c.name: tonal.pearson(res[(c.name, a)][0] - res[(c.name, b)][0], ca - cb) for c in clips}
        all_r[f"{a}–{b}"] = rs
        for label, subset in ctx.sets():
            v = np.array([rs[c.name] for c in subset])
            frac = float(np.mean(v >= 0.9))
            rows.append((f"{a} vs {b}", label, f"{sa}/{sb}", f"{np.median(v):.3f}", f"{v.min():.3f}", f"{frac:.0%}",
                         verdict(frac >= 0.9)))
            rep.figure(f"term contrast {a} vs {b}, {label}",
                       f"r ≥ 0.9 on {frac:.0%} of {len(v)} clips (median r {np.median(v):.3f})",
                       "r ≥ 0.9 on ≥ 90 % of recordings", frac >= 0.9, TITLE)
        genre_rows += [(f"{a} vs {b}",) + row for row in by_genre(clips, rs, lambda v: f"{v:.3f}")]
    text = ("Each clip processed with each word at intensity 1 (adaptive mode); r between "
            "TBC(out_A) − TBC(out_B) and crowd(A) − crowd(B) (crowd source per word as in the pair's "
            "*crowd* column).\n\n")
    text += md_table(["pair", "clips", "crowd", "median r", "min r", "clips r ≥ 0.9", "target ≥ 90 %"], rows)
    text += "\nPer genre (median r):\n\n" + md_table(["pair", "genre", "clips", "median r"], genre_rows)
    if skipped:
        text += f"\nNot measured{' (quick mode or' if ctx.quick else ' ('}word not in the vocabulary): " \
                f"{', '.join(f'{a}/{b}' for a, b in skipped)}\n"
    per_clip = [(c.name, c.genre) + tuple(f"{all_r[k][c.name]:.3f}" for k in all_r) for c in clips]
    text += "\n<details><summary>Per-clip r</summary>\n\n" + md_table(["clip", "genre"] + list(all_r), per_clip)
    text += "\n</details>\n"
    clipped = sorted(((k, v) for k, v in res.items() if v[2] > 0), key=lambda kv: -kv[1][2])
    rep.figure("output at full scale (clips as given, intensity 1)",
               f"{len(clipped)} of {len(res)} renders reach full scale" + (
                   f" (worst: {clipped[0][0][0]} `{clipped[0][0][1]}`, {clipped[0][1][2]} samples)" if clipped else ""),
               "no target (headroom)", None, TITLE)
    text += ("\nHeadroom: renders above (clips as stored, output in the input's format) that reach full scale "
             f"(|sample| ≥ 32767/32768, clipped in a 16-bit file): {len(clipped)} of {len(res)}.\n")
    if clipped:
        peaks = {c.name: tonal.peak_dbfs(c.x) for c in clips}
        text += "\n" + md_table(["clip", "word", "input peak dBFS", "output peak dBFS", "samples at full scale"],
                                [(k[0], k[1], f"{peaks[k[0]]:.1f}", f"{v[1]:.1f}", v[2]) for k, v in clipped[:12]])
    rep.add(TITLE, text)
    rep.data["contrast"] = {k: list(v.values()) for k, v in all_r.items()}


def plot(rep, plt, save):
    cr = rep.data.get("contrast")
    if not cr:
        return
    fig, ax = plt.subplots(figsize=(5.5, 3.4))
    ax.hist([np.asarray(v) for v in cr.values()], bins=np.linspace(-1, 1, 41), label=list(cr), stacked=True)
    ax.axvline(0.9, color="C3", ls="--", lw=0.8, label="r = 0.9")
    ax.set_xlabel("r per clip")
    ax.set_ylabel("clips")
    ax.set_title("Term contrast: r(TBC(A) − TBC(B), crowd(A) − crowd(B))")
    ax.legend(fontsize=6)
    save(fig, "contrast_r.png", TITLE)
