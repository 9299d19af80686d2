"""Warm/bright direction: warm lowers and bright raises the spectral centroid (static and adaptive mode)."""
from __future__ import annotations

from harness import Context, md_table, pmap, tonal

TITLE = "Warm/bright direction"


def run(ctx: Context):
    rep, cli, vocab, tmp, jobs, clips = ctx.rep, ctx.cli, ctx.vocab, ctx.tmp, ctx.jobs, ctx.clips
    modes = [("static", ["--mode", "static"])] + ([("adaptive", [])] if "warm" in vocab and "bright" in vocab else [])
    text = ("Spectral centroid (Welch, 4096) of the clip and of its output with `--term warm` / `--term bright` "
            "at intensity 1. Right = warm lowers it and bright raises it.\n\n")
    for mode, extra in modes:
        def one(c):
            c0 = tonal.spectral_centroid(c.x, c.fs)
            _, w = cli.process(c.path, tmp / f"dir_{c.name}_w.wav", "--term", "warm", "--intensity", "1", *extra)
            _, b = cli.process(c.path, tmp / f"dir_{c.name}_b.wav", "--term", "bright", "--intensity", "1", *extra)
            return c, c0, tonal.spectral_centroid(w, c.fs), tonal.spectral_centroid(b, c.fs)
        res = pmap(one, clips, jobs)
        rows, right = [], {}
        for c, c0, cw, cb in res:
            right[c.name] = cw < c0 < cb
            rows.append((c.name, c.genre, f"{c0:.0f}", f"{cw:.0f}", f"{cb:.0f}", "yes" if right[c.name] else "**no**"))
        for label, subset in ctx.sets():
            music = [c for c in subset if c.kind in ("music", "other")]
            ok = sum(right[c.name] for c in music)
            rep.figure(f"{mode}-mode direction (warm lowers, bright raises centroid), {label}",
                       f"right on {ok}/{len(music)} music clips, {sum(right[c.name] for c in subset)}/{len(subset)} all",
                       "all music clips", bool(music) and ok == len(music), TITLE)
        text += f"**{mode} mode**\n\n" + md_table(["clip", "genre", "centroid Hz", "warm", "bright", "right"], rows) + "\n"
    rep.add(TITLE, text)
