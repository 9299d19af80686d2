"""The renders the real-recording figures share: every clip as it is, through the default
adaptive mode at intensity 0.7 with the words warm, bright, airy and boomy (one render per
(clip, word), measured once for word direction, bounded EQ and loudness)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness import FULL_SCALE, Context, pmap, tonal

INTENSITY = 0.7
WORDS = ("warm", "bright", "airy", "boomy")


@dataclass
class Render:
    clip: object
    word: str
    applied: np.ndarray  # TBC(out) − TBC(in), 28 bands
    loudness_in: float  # integrated loudness, LUFS (ITU-R BS.1770, pyloudnorm)
    loudness_out: float
    peak_dbfs: float
    full_scale: int  # samples with |y| ≥ 32767/32768

    @property
    def delta_lu(self) -> float:
        return self.loudness_out - self.loudness_in


def integrated_loudness(x: np.ndarray, fs: int) -> float:
    import pyloudnorm
    return float(pyloudnorm.Meter(fs).integrated_loudness(np.asarray(x, float)))


def renders(ctx: Context) -> dict:
    """{(clip name, word): Render} for every clip and every word in the vocabulary (cached)."""
    cached = ctx.rep.data.get("_word_renders")
    if cached is not None:
        return cached
    words = [w for w in WORDS if w in ctx.vocab]
    before = {c.name: (tonal.tbc(c.x, c.fs), integrated_loudness(c.x, c.fs)) for c in ctx.clips}

    def one(item):
        c, w = item
        out = ctx.tmp / f"words_{c.name}_{w}.wav"
        fs, y = ctx.cli.process(c.path, out, "--term", w, "--intensity", f"{INTENSITY:g}")
        out.unlink(missing_ok=True)
        t0, l0 = before[c.name]
        return (c.name, w), Render(c, w, tonal.tbc(y, fs) - t0, l0, integrated_loudness(y, fs), tonal.peak_dbfs(y),
                                   int(np.sum(np.abs(y) >= FULL_SCALE)))

    result = dict(pmap(one, [(c, w) for c in ctx.clips for w in words], ctx.jobs))
    ctx.rep.data["_word_renders"] = result
    return result


def of_set(result: dict, subset, words=WORDS) -> list[Render]:
    names = {c.name for c in subset}
    return [r for (name, w), r in result.items() if name in names and w in words]


def genre_table(subset, result, words, summarise) -> list[tuple]:
    """(genre, clips, summary) rows, summary = summarise(list of Render) as text."""
    rows = []
    for g in sorted({c.genre for c in subset}):
        rs = of_set(result, [c for c in subset if c.genre == g], words)
        if rs:
            rows.append((g, len({r.clip.name for r in rs})) + tuple(summarise(rs)))
    return rows


def box_plots(plt, per_word: dict, per_genre: dict, ylabel: str, title: str, limits=()):
    """Two panels of box plots (whiskers at min/max): by word, and by genre over all words."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.2), sharey=True,
                             gridspec_kw={"width_ratios": [max(1, len(per_word)), max(1, len(per_genre))]})
    for ax, groups, name in ((axes[0], per_word, "by word"), (axes[1], per_genre, "by genre, all four words")):
        ax.boxplot([groups[k] for k in groups], tick_labels=list(groups), whis=(0, 100))
        for y in limits:
            ax.axhline(y, color="C3", ls="--", lw=0.8)
        ax.set_title(name)
        ax.grid(alpha=0.3, axis="y")
    axes[0].set_ylabel(ylabel)
    fig.suptitle(title)
    return fig
