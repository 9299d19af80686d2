"""The colouration estimate: what `adaptive-eq analyze` reports as a recording's own colouration
(the decoder's EQ for the audio's latent). On unprocessed real recordings it should be small;
on a recording coloured by a known EQ its change should recover that EQ."""
from __future__ import annotations

import numpy as np

from harness import Context, md_table, pmap, tonal, write_float_wav
from aeq import rbj
from sections.adaptivity import coloured, random_colouring

TITLE = "Colouration estimate"
QUICK_RECOVERY = 4  # quick mode: clips coloured for the recovery check


def analyse(ctx: Context, path, fs: int):
    """(response in dB at the band centres of the colouration `analyze` decodes, median over the
    file's analyses; the words it says the file sounds closest to), or (None, [])."""
    a = ctx.cli.analyze(path, "--term", "warm")
    if not a or not a.get("timeline"):
        return None, []
    curves = rbj.response_db(np.array([t["audio_eq"] for t in a["timeline"]], float), tonal.BAND_CENTRES, fs)
    return np.median(curves, axis=0), [n["word"] for n in a.get("nearest_words", [])][:3]


def estimate(ctx: Context, path, fs: int):
    return analyse(ctx, path, fs)[0]


def level_free(curve):
    return curve - curve[tonal.REFERENCE_BANDS].mean()


def run(ctx: Context):
    rep = ctx.rep
    mid = tonal.MID_BANDS
    found = dict(pmap(lambda c: (c.name, analyse(ctx, c.path, c.fs)), ctx.clips, ctx.jobs))
    est = {k: v[0] for k, v in found.items()}
    missing = [n for n, v in est.items() if v is None]
    text = ("`adaptive-eq analyze CLIP --json` on each clip as it is: the response of the decoded colouration "
            "(`timeline[].audio_eq`, median over the file's analyses) over 40 Hz … 12.5 kHz; per clip its median "
            "and its max |dB|. At intensity 1 the engine applies the inverse of this estimate, so on real "
            "mastered music, which the project treats as neutral, it should be small.\n\n")
    rows = []
    for label, subset in ctx.sets():
        got = [c for c in subset if est[c.name] is not None]
        if not got:
            continue
        med = np.array([np.median(np.abs(est[c.name][mid])) for c in got])
        peak = np.array([np.max(np.abs(est[c.name][mid])) for c in got])
        rep.figure(f"colouration estimate on unprocessed clips, {label}",
                   f"median |EQ| {np.median(med):.1f} dB, max |EQ| {np.median(peak):.1f} dB (median over {len(got)} "
                   f"clips; worst clip {peak.max():.1f} dB)", "small (stated; no fixed target)", None, TITLE)
        for g in sorted({c.genre for c in got}):
            sel = [i for i, c in enumerate(got) if c.genre == g]
            rows.append((label, g, len(sel), f"{np.median(med[sel]):.1f}", f"{np.median(peak[sel]):.1f}",
                         f"{peak[sel].max():.1f}"))
            rep.genre_cells(["own colouration max dB"], [(g, len(sel), f"{np.median(peak[sel]):.1f}")])
    text += md_table(["clips", "genre", "n", "median |EQ| dB", "max |EQ| dB (median clip)", "max |EQ| dB (worst clip)"], rows)
    if missing:
        text += f"\n`analyze` failed on: {', '.join(missing)}\n"
    per_clip = [(c.name, c.genre, f"{np.median(np.abs(est[c.name][mid])):.1f}", f"{np.max(np.abs(est[c.name][mid])):.1f}",
                 f"{est[c.name][np.argmax(np.abs(np.where(mid, est[c.name], 0)))]:+.1f} dB at "
                 f"{tonal.BAND_CENTRES[np.argmax(np.abs(np.where(mid, est[c.name], 0)))]:.0f} Hz",
                 ", ".join(found[c.name][1])) for c in ctx.clips if est[c.name] is not None]
    text += ("\n<details><summary>Per clip (with the words `analyze` says it sounds closest to)</summary>\n\n"
             + md_table(["clip", "genre", "median |EQ| dB", "max |EQ| dB", "largest", "sounds closest to"], per_clip)
             + "\n</details>\n")
    rep.data["colouration"] = {c.name: est[c.name] for c in ctx.clips if est[c.name] is not None}
    rep.data["colouration_real"] = {c.name for c in ctx.real}
    text += recovery(ctx, est)
    rep.add(TITLE, text)


def recovery(ctx: Context, est: dict) -> str:
    """Colour real clips with a known seeded ±6 dB EQ; the estimate's change should be that EQ."""
    rep, mid = ctx.rep, tonal.MID_BANDS
    pool = [c for c in (ctx.real or ctx.synthetic) if c.kind == "music" and est[c.name] is not None]
    pool = pool[:QUICK_RECOVERY] if ctx.quick else pool
    if not pool:
        return ""

    def one(c):
        params = random_colouring(np.random.default_rng(2000 + sum(map(ord, c.name))))
        p = ctx.tmp / f"known_{c.name}.wav"
        write_float_wav(p, c.fs, coloured(c.x, c.fs, params))
        after = estimate(ctx, p, c.fs)
        p.unlink(missing_ok=True)
        if after is None:
            return None
        known = level_free(rbj.response_db(params, tonal.BAND_CENTRES, c.fs))
        found = level_free(after - est[c.name])
        err = float(np.sqrt(np.mean((found[mid] - known[mid]) ** 2)))
        return c, err, tonal.pearson(found[mid], known[mid]), float(np.sqrt(np.mean(known[mid] ** 2)))

    res = [r for r in pmap(one, pool, ctx.jobs) if r is not None]
    if not res:
        return ""
    err = np.array([r[1] for r in res])
    rs = np.array([r[2] for r in res])
    size = np.array([r[3] for r in res])
    rep.figure("known ±6 dB colouring recovered by the estimate",
               f"RMS error {np.median(err):.1f} dB median (worst {err.max():.1f} dB; colourings {np.median(size):.1f} dB "
               f"RMS), r {np.median(rs):.2f} median over {len(res)} clips", "stated error (no fixed target)", None, TITLE)
    text = ("\n**Recovery of a known colouring.** Each clip coloured by a seeded random EQ (±6 dB low shelf, "
            "three peaks, high shelf, as for adaptivity); estimate(coloured) − estimate(clip) against the colouring's "
            "own response, both level-free (mean over 100 Hz … 10 kHz removed), over 40 Hz … 12.5 kHz.\n\n")
    text += md_table(["clip", "genre", "colouring RMS dB", "RMS error dB", "r"],
                     [(c.name, c.genre, f"{s:.1f}", f"{e:.1f}", f"{r:.2f}") for c, e, r, s in res])
    return text


def plot(rep, plt, save):
    data = rep.data.get("colouration")
    if not data:
        return
    real = rep.data.get("colouration_real") or set(data)
    curves = np.array([v for k, v in data.items() if k in real] or list(data.values()))
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    for c in curves:
        ax.semilogx(tonal.BAND_CENTRES, c, color="0.7", lw=0.7)
    ax.semilogx(tonal.BAND_CENTRES, np.median(curves, axis=0), color="C0", lw=2, label="median over clips")
    ax.axhline(0, color="k", lw=0.6)
    ax.set_xlabel("Hz")
    ax.set_ylabel("dB")
    ax.set_title("Colouration `analyze` estimates on unprocessed clips")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    save(fig, "colouration.png", TITLE)
