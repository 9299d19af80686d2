"""Adaptivity: one recording coloured K ways, all processed with the same word; an adaptive EQ
pulls the colourings together (spread ratio < 1), a static EQ leaves them apart (exactly 1)."""
from __future__ import annotations

import numpy as np
from scipy import signal

from harness import Context, by_genre, md_table, pmap, tonal, write_float_wav
from aeq import rbj

TITLE = "Adaptivity"
INTENSITIES = (0.0, 0.25, 0.5, 0.75, 1.0)
QUICK_INTENSITIES = (0.0, 0.5, 1.0)
COLOURINGS, QUICK_COLOURINGS = 6, 4


def random_colouring(rng: np.random.Generator) -> np.ndarray:
    """±6 dB low shelf, three peaks and a high shelf at random frequencies (13 parameters)."""
    lg = lambda lo, hi: float(np.exp(rng.uniform(np.log(lo), np.log(hi))))  # noqa: E731
    g = rng.uniform(-6, 6, 5)
    return np.array([g[0], lg(60, 250), g[1], lg(150, 600), rng.uniform(0.7, 1.5), g[2], lg(600, 2500),
                     rng.uniform(0.7, 1.5), g[3], lg(2500, 8000), rng.uniform(0.7, 1.5), g[4], lg(3000, 10000)])


def coloured(x: np.ndarray, fs: int, params) -> np.ndarray:
    """x through the EQ `params`, normalised to -6 dBFS peak."""
    y = signal.sosfilt(rbj.sos(params, fs), x, axis=0)
    return y * (0.5 / max(float(np.max(np.abs(y))), 1e-9))


def clip_ratios(ctx: Context, c, word, extra_word, intensities, k: int):
    """{intensity: spread ratio} for `word`, and the ratio for extra_word at 1 (or None)."""
    rng = np.random.default_rng(1000 + sum(map(ord, c.name)))
    paths, tin = [], []
    for j in range(k):
        y = coloured(c.x, c.fs, random_colouring(rng))
        p = ctx.tmp / f"col_{c.name}_{j}.wav"
        write_float_wav(p, c.fs, y)
        paths.append(p)
        tin.append(tonal.tbc(y, c.fs))
    s_in = tonal.spread(tin)
    runs = [(word, g) for g in intensities] + ([(extra_word, 1.0)] if extra_word else [])

    def one(item):
        (w, g), j = item
        out = ctx.tmp / f"colout_{c.name}_{w}_{g}_{j}.wav"
        fs, y = ctx.cli.process(paths[j], out, "--term", w, "--intensity", f"{g:g}")
        out.unlink(missing_ok=True)
        return (w, g, j), tonal.tbc(y, fs)

    outs = dict(pmap(one, [(r, j) for r in runs for j in range(k)], ctx.jobs))
    for p in paths:
        p.unlink(missing_ok=True)
    ratios = {g: tonal.spread([outs[(word, g, j)] for j in range(k)]) / s_in for g in intensities}
    extra = tonal.spread([outs[(extra_word, 1.0, j)] for j in range(k)]) / s_in if extra_word else None
    return ratios, extra


def falling(values) -> bool:
    return all(a > b for a, b in zip(values, values[1:]))


def run(ctx: Context):
    rep, vocab = ctx.rep, ctx.vocab
    word = "warm" if "warm" in vocab else next(iter(vocab))
    extra_word = "bright" if "bright" in vocab and not ctx.quick else None
    intensities = QUICK_INTENSITIES if ctx.quick else INTENSITIES
    k = QUICK_COLOURINGS if ctx.quick else COLOURINGS
    ratios, extra = {}, {}
    for c in ctx.clips:
        ratios[c.name], extra[c.name] = clip_ratios(ctx, c, word, extra_word, intensities, k)
    text = (f"Each clip coloured {k} ways (random ±6 dB low shelf, three peaks, high shelf; seeded by the clip's "
            f"name), normalised to −6 dBFS peak, written as float WAV, processed with `--term {word}` at each "
            f"intensity; ratio = spread(TBC of outputs) / spread(TBC of inputs)."
            + (f" Last column: `--term {extra_word}` at intensity 1." if extra_word else "") + "\n\n")
    medians = {}
    for label, subset in ctx.sets():
        med = {g: float(np.median([ratios[c.name][g] for c in subset])) for g in intensities}
        medians[label] = med
        n_falling = sum(falling([ratios[c.name][g] for g in intensities]) for c in subset)
        rep.figure(f"adaptivity ({word}, intensity 1), {label}",
                   f"spread ratio {med[1.0]:.3f} (median over {len(subset)} clips)", "≤ 0.5 (static EQ = 1.0)",
                   med[1.0] <= 0.5, TITLE)
        rep.figure(f"adaptivity falls monotonically with intensity, {label}",
                   f"medians {' → '.join(f'{med[g]:.2f}' for g in intensities)}; strictly falling on "
                   f"{n_falling}/{len(subset)} clips", "monotonic", falling([med[g] for g in intensities]), TITLE)
        rows = [(c.name, c.genre) + tuple(f"{ratios[c.name][g]:.3f}" for g in intensities)
                + ((f"{extra[c.name]:.3f}",) if extra_word else ()) for c in subset]
        rows.append(("**median**", "") + tuple(f"**{med[g]:.3f}**" for g in intensities)
                    + ((f"**{np.median([extra[c.name] for c in subset]):.3f}**",) if extra_word else ()))
        header = ["clip", "genre"] + [f"{word} {g:g}" for g in intensities] + ([f"{extra_word} 1"] if extra_word else [])
        text += f"**{label}**\n\n" + md_table(header, rows) + "\n"
    genre = by_genre(ctx.clips, {c: r[1.0] for c, r in ratios.items()}, lambda v: f"{v:.3f}")
    rep.genre_cells(["adaptivity"], genre)
    text += f"Per genre (median spread ratio, `{word}` at intensity 1):\n\n" + md_table(["genre", "clips", "ratio"], genre)
    rep.add(TITLE, text)
    rep.data["adaptivity"] = {"word": word, "intensities": intensities, "ratios": ratios, "medians": medians,
                              "real": {c.name for c in ctx.real}}


def plot(rep, plt, save):
    a = rep.data.get("adaptivity")
    if not a:
        return
    g = a["intensities"]
    fig, ax = plt.subplots(figsize=(5, 3.4))
    for clip, rs in a["ratios"].items():
        ax.plot(g, [rs[i] for i in g], color="0.75" if clip in a["real"] else "0.9", lw=0.8)
    for n, (label, med) in enumerate(a["medians"].items()):
        ax.plot(g, [med[i] for i in g], "-o", color=f"C{n}", lw=2, label=f"median, {label}")
    ax.axhline(1.0, color="k", lw=0.6, ls=":", label="static EQ")
    ax.axhline(0.5, color="C3", lw=0.8, ls="--", label="target at intensity 1")
    ax.set_xlabel("intensity")
    ax.set_ylabel("spread(out) / spread(in)")
    ax.set_title(f"Adaptivity, --term {a['word']} (grey: clips)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save(fig, "adaptivity.png", TITLE)
