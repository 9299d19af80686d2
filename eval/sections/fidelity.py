"""Semantic fidelity: the term curve of each word (applied response on pink noise at intensity
1) against its crowd curve (SAFE-DB median response, Audealize curve)."""
from __future__ import annotations

import json

import numpy as np

from harness import Context, env_int, fmt_r, md_table, pmap, tonal, verdict, write_float_wav
from aeq import rbj
from aeq.crowd import safe_crowd_curve

TITLE = "Semantic fidelity"
PLOT_WORDS = ("warm", "bright", "airy", "muddy", "deep", "thin", "boomy", "tinny", "clear", "full")
TERM_SKIP_SECONDS = 3.0  # term curve: steady state only (the analysis window and glides settle first)
QUICK_AUDEALIZE = 30  # quick mode: the 30 highest-agreement Audealize words


def measure_term_curves(cli, words, tmp, jobs: int, extra=()):
    """Applied response of the CLI for each word on pink noise at intensity 1 (steady state)."""
    fs = 44_100
    pink = tonal.pink_noise(15.0, fs, seed=2024)
    pin = tmp / "pink.wav"
    write_float_wav(pin, fs, pink)
    skip = int(TERM_SKIP_SECONDS * fs)
    tbc_in = tonal.tbc(pink[skip:], fs)

    def one(word):
        out = tmp / f"term_{abs(hash((word,) + tuple(extra)))}.wav"
        try:
            _, y = cli.process(pin, out, "--term", word, "--intensity", "1", *extra)
        except RuntimeError as e:
            return word, None, str(e)
        curve = tonal.tbc(y[skip:], fs) - tbc_in
        out.unlink(missing_ok=True)
        return word, curve, None

    return {w: (c, err) for w, c, err in pmap(one, words, jobs)}


def run(ctx: Context):
    rep, cli, vocab, tmp, jobs = ctx.rep, ctx.cli, ctx.vocab, ctx.tmp, ctx.jobs
    safe, aud = ctx.crowd()
    safe_words = sorted(safe, key=lambda w: -len(safe[w]))
    aud_words = sorted((w for w, d in aud.items() if d.agreement >= 0.5), key=lambda w: -aud[w].agreement)
    limit = env_int("EVAL_AUDEALIZE_MAX", QUICK_AUDEALIZE if ctx.quick else 0)
    aud_in_vocab = [w for w in aud_words if w in vocab]
    if limit > 0:
        aud_in_vocab = aud_in_vocab[:limit]
    measure = sorted(set(w for w in safe_words if w in vocab) | set(aud_in_vocab))
    curves = measure_term_curves(cli, measure, tmp, jobs)

    def decoded(word):
        p = vocab.get(word, {}).get("parameters")
        return None if p is None else rbj.response_db(p, tonal.BAND_CENTRES)

    safe_rows, safe_rs, safe_ok = [], {}, True
    for w in safe_words:
        crowd = safe_crowd_curve(safe[w])
        curve, err = curves.get(w, (None, "not in the model's vocabulary"))
        r = tonal.pearson(curve, crowd) if curve is not None else float("nan")
        rd = tonal.pearson(decoded(w), crowd) if w in vocab else float("nan")
        ok = bool(np.isfinite(r) and r >= 0.9)
        safe_ok &= ok
        safe_rs[w] = r
        safe_rows.append((w, len(safe[w]), "yes" if w in vocab else "**no**", fmt_r(r), fmt_r(rd),
                          verdict(ok) if w in vocab else "**FAIL** (missing)"))
    n_ok = sum(1 for w in safe_words if np.isfinite(safe_rs[w]) and safe_rs[w] >= 0.9)
    rep.figure("semantic fidelity, SAFE-DB words (≥ 5 clean rows)", f"{n_ok}/{len(safe_words)} words r ≥ 0.9 "
               f"(min r {fmt_r(np.nanmin(list(safe_rs.values())) if any(np.isfinite(list(safe_rs.values()))) else float('nan'))})",
               "r ≥ 0.9 for every word", safe_ok and bool(safe_words), TITLE)

    aud_rs, aud_table = {}, []
    for w in aud_in_vocab:
        curve, err = curves.get(w, (None, None))
        r = tonal.pearson(curve, aud[w].curve()) if curve is not None else float("nan")
        aud_rs[w] = r
        aud_table.append((w, f"{aud[w].agreement:.2f}", aud[w].contributors, fmt_r(r),
                          fmt_r(tonal.pearson(decoded(w), aud[w].curve()))))
    finite = np.array([r for r in aud_rs.values() if np.isfinite(r)])
    med = float(np.median(finite)) if len(finite) else float("nan")
    missing = [w for w in aud_words if w not in vocab]
    rep.figure("semantic fidelity, Audealize words (agreement ≥ 0.5)",
               f"median r {fmt_r(med)} over {len(finite)} words ({len(missing)} of {len(aud_words)} not in the vocabulary)",
               "median r ≥ 0.8", bool(len(finite)) and med >= 0.8, TITLE)

    text = (f"Term curve: `adaptive-eq process pink.wav out.wav --term WORD --intensity 1` on 15 s of pink "
            f"noise (float WAV, −20 dBFS RMS); applied response TBC(out) − TBC(in) over the steady part "
            f"(from {TERM_SKIP_SECONDS:.0f} s on). Crowd curve: SAFE-DB — median over the word's rows of the RBJ "
            f"response of its 13 parameters at 44.1 kHz; Audealize — its 40-band curve interpolated in log "
            f"frequency to the band centres. *r decoded* is a diagnostic: the analytic response of the "
            f"EQ that `adaptive-eq terms --json` prints for the word (the decoder's output for the word's "
            f"latent) against the same crowd curve — if it is high while *r* is low, the engine, not the "
            f"vocabulary, loses the meaning.\n\n")
    text += "SAFE-DB words with ≥ 5 clean rows (the toolkit's one cleaning rule, `python/aeq/crowd.py`):\n\n"
    text += md_table(["word", "SAFE rows", "in vocabulary", "r", "r decoded", "r ≥ 0.9"], safe_rows)
    scope = f"the first {limit} by agreement" if limit > 0 else "all"
    text += (f"\nAudealize words with agreement ≥ 0.5: {len(aud_words)} in the data, {len(aud_words) - len(missing)} "
             f"in the vocabulary, {scope} measured; median r **{fmt_r(med)}** (target ≥ 0.8). "
             f"Quartiles of r: {', '.join(fmt_r(v) for v in np.percentile(finite, [25, 50, 75]))}.\n\n"
             if len(finite) else "\nNo Audealize word could be measured.\n\n")
    if missing:
        text += f"Not in the vocabulary ({len(missing)}): {', '.join(missing[:60])}{' …' if len(missing) > 60 else ''}\n\n"
    if aud_table:
        aud_table.sort(key=lambda row: -float(row[3]) if row[3] != "n/a" else 9)
        text += "<details><summary>Per-word r, Audealize</summary>\n\n"
        text += md_table(["word", "agreement", "contributors", "r", "r decoded"], aud_table)
        text += "\n</details>\n"
    # Diagnostic: term curve minus the decoded word EQ is, word after word, the engine's correction
    # for what it hears in the pink noise itself (the inverse of decoder(z_audio(pink)) at intensity 1).
    residuals = []
    for w in measure:
        curve, dec = curves.get(w, (None, None))[0], decoded(w)
        if curve is not None and dec is not None:
            r = curve - (dec - dec[tonal.REFERENCE_BANDS].mean())
            residuals.append(r - r[tonal.REFERENCE_BANDS].mean())
    if residuals:
        res = np.median(np.array(residuals), axis=0)
        spread_db = float(np.median(np.std(np.array(residuals), axis=0)))
        picks = [i for i, f in enumerate(tonal.BAND_CENTRES) if round(np.log2(f / 1000) * 3) % 3 == 0]
        text += ("\n**Pink-noise residual** (diagnostic): term curve − decoded word EQ, median over the "
                 f"{len(residuals)} measured words (their spread across words: {spread_db:.2f} dB). A residual "
                 "common to all words is the EQ the engine adds because of what it hears in the pink noise "
                 "itself (the inverse of the colouration it estimates for that input); ideally ≈ 0 dB.\n\n")
        text += md_table(["band Hz"] + [f"{tonal.BAND_CENTRES[i]:.0f}" for i in picks],
                         [["dB"] + [f"{res[i]:+.1f}" for i in picks]])
        rep.data["pink_residual"] = res
    # Static mode (the SAFE-DB table), informational: same measurement with --mode static.
    st = cli.run(["terms", "--static", "--json"], timeout=60)
    if st.returncode == 0 and not ctx.quick:
        static_words = [t["word"] for t in json.loads(st.stdout)["terms"]]
        sc = measure_term_curves(cli, [w for w in static_words if w in safe], tmp, jobs, ("--mode", "static"))
        srows = []
        for w in static_words:
            curve = sc.get(w, (None,))[0]
            if curve is None or w not in safe:
                continue
            srows.append((w, len(safe[w]), fmt_r(tonal.pearson(curve, safe_crowd_curve(safe[w])))))
        if srows:
            text += ("\n**Static mode** (informational): the same term curve with `--mode static` (the "
                     "SAFE-DB table of `adaptive-eq terms --static`) against the SAFE-DB crowd curve.\n\n")
            text += md_table(["word", "SAFE rows", "r"], srows)
    rep.add(TITLE, text)

    # Plot term vs crowd for up to 8 words.
    words = [w for w in PLOT_WORDS if w in curves and curves[w][0] is not None][:8]
    if len(words) < 8:
        words += [w for w in aud_in_vocab if w not in words and curves.get(w, (None,))[0] is not None][: 8 - len(words)]
    rep.data["term_plot"] = []
    for w in words:
        if w in safe:
            crowd, src = safe_crowd_curve(safe[w]), f"SAFE-DB median ({len(safe[w])} rows)"
        else:
            crowd, src = aud[w].curve(), f"Audealize (agreement {aud[w].agreement:.2f})"
        rep.data["term_plot"].append((w, curves[w][0], crowd, src, tonal.pearson(curves[w][0], crowd)))
    rep.data["fidelity"] = {"safe": {w: safe_rs[w] for w in safe_words}, "audealize": aud_rs, "audealize_median": med}


def plot(rep, plt, save):
    if rep.data.get("term_plot"):
        items = rep.data["term_plot"]
        fig, axes = plt.subplots(2, 4, figsize=(10, 4.6), sharex=True)
        for ax, (w, term, crowd, src, r) in zip(axes.flat, items):
            ax.semilogx(tonal.BAND_CENTRES, term, "-o", ms=2, label="term curve (CLI)")
            # SAFE-DB crowd curves are in dB: offset to the term curve's mean. Audealize curves are in
            # their own units: also scaled to the term curve's spread (display only; r ignores both).
            c = np.asarray(crowd, float)
            if src.startswith("SAFE"):
                cz = c - c.mean() + np.mean(term)
            else:
                cz = (c - c.mean()) / (c.std() or 1) * (np.std(term) or 1) + np.mean(term)
            ax.semilogx(tonal.BAND_CENTRES, cz, "--", label="crowd (SAFE: dB, offset; Audealize: scaled)")
            ax.set_title(f"{w}: r = {r:.2f}\n{src}", fontsize=7)
            ax.grid(alpha=0.3)
        for ax in axes.flat[len(items):]:
            ax.axis("off")
        for ax in axes[-1]:
            ax.set_xlabel("Hz")
        axes[0, 0].set_ylabel("dB")
        axes[1, 0].set_ylabel("dB")
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=7, frameon=False)
        save(fig, "term_vs_crowd.png", TITLE, rect=(0, 0.05, 1, 1))
    fid = rep.data.get("fidelity")
    if fid and fid["audealize"]:
        rs = np.sort([r for r in fid["audealize"].values() if np.isfinite(r)])
        fig, ax = plt.subplots(figsize=(5, 3.2))
        ax.hist(rs, bins=np.linspace(-1, 1, 41), color="C2", alpha=0.8, label="Audealize words")
        for w, r in fid["safe"].items():
            if np.isfinite(r):
                ax.axvline(r, color="C1", lw=0.8)
        ax.axvline(0.8, color="C3", ls="--", lw=0.8, label="0.8 (median target)")
        ax.set_xlabel("r(term curve, crowd curve)   (orange lines: SAFE-DB words)")
        ax.set_ylabel("words")
        ax.legend(fontsize=7)
        save(fig, "fidelity_r.png", TITLE)
