"""Open vocabulary (held-out words) and reference matching, through eval/open_vocab.py's studies."""
from __future__ import annotations

import open_vocab
from harness import Context, md_table

TITLE = "Open vocabulary and reference matching"
#: Music clips in the reference study (every ordered pair of clip × colouring is one case).
REFERENCE_CLIPS, QUICK_REFERENCE_CLIPS = 3, 2


def run(ctx: Context):
    rep, binary = ctx.rep, ctx.cli.binary
    held = open_vocab.heldout_study(binary, ctx.tmp, 10 if ctx.quick else 0)
    words = held["words"]
    base = held["mean_curve"]
    for label, key in (("static mode", "median_r_static"), ("default (adaptive) mode", "median_r")):
        rep.figure(f"unseen words (held-out Audealize words), term curve vs crowd curve, {label}",
                   f"median r {held[key]:.2f} over {len(words)} words, {sum(w['refused'] for w in words)} refused; "
                   f"mean-curve baseline {base:.2f}, nearest spelling {held['nearest_spelling']:.2f}",
                   "≥ baseline + 0.2 (0.6 the aim)", held[key] >= base + 0.2, TITLE)
    rep.figure("unseen words with a clear bass/treble tilt, EQ leaning the same way",
               f"{held['right_static']:.0%} static, {held['right']:.0%} default mode, of {held['tilted']} words",
               "≥ 70 %", min(held["right_static"], held["right"]) >= 0.7, TITLE)
    cv = open_vocab.cv_study(held["correction"])
    for label, key in (("static mode", "median_r"), ("default (adaptive) mode", "median_r_default")):
        rep.figure(f"learnt words, {cv['repeats']} × {cv['folds']}-fold cross-validation, {label}",
                   f"median r {cv[key]:.2f} over {cv['words']} words; mean-curve baseline {cv['mean_curve']:.2f}",
                   "≥ baseline + 0.2 (0.6 the aim)", cv[key] >= cv["mean_curve"] + 0.2, TITLE)
    text = ("Held-out words (`data/audealize_heldout_words.json`, out of every training stage): "
            "`process pink.wav --term WORD --intensity 1` in static and in the default mode, applied response "
            "against the word's 40-band crowd curve over 40 Hz … 12.5 kHz; baselines: the mean crowd curve of "
            "the training words, and the learnt word nearest in spelling (default mode). A word has a clear tilt "
            "when its crowd curve lies at least the median distance from the mean along the training curves' "
            "first principal component. Cross-validation: `eval/vocab_cv.json` (out-of-fold predictions of the "
            "learnt Audealize words, `python -m training.open_vocab --cv`) against their crowd curves; in the "
            "default mode each prediction plus the correction the engine made of the same pink noise (default "
            f"minus static term curve, {held['correction_spread_db']:.2f} dB median spread across words). "
            f"Cross-validated lean right: {cv['right']:.0%} static, {cv['right_default']:.0%} default.\n\n"
            + md_table(["word", "agreement", "r static", "r default", "nearest spelling", "r (spelling)"],
                       [(w["word"], f"{w['agreement']:.2f}", f"{w['r_static']:+.2f}", f"{w['r']:+.2f}", w["spelling"],
                         f"{w['r_spelling']:+.2f}") for w in sorted(words, key=lambda w: -w["r"])]))
    folder = ctx.real_folder
    rows = open_vocab.reference_study(binary, ctx.tmp, folder, QUICK_REFERENCE_CLIPS if ctx.quick else REFERENCE_CLIPS) \
        if folder else None
    if rows:
        labels = {True: "same recording, other colouring", False: "other recording"}
        table = []
        for g in open_vocab.reference_summary(rows):
            label = labels[g["same_clip"]]
            rep.figure(f"reference matching, {label}",
                       f"TBC distance to the reference halved on {g['halved']:.0%} of {g['pairs']} pairs "
                       f"(median {g['before_db']:.2f} → {g['after_db']:.2f} dB)", "halved on ≥ 90 %",
                       g["halved"] >= 0.9, TITLE)
            table.append((label, g["pairs"], f"{g['before_db']:.2f}", f"{g['after_db']:.2f}", f"{g['halved']:.0%}"))
        text += ("\n\nReference matching: each music clip coloured by known EQs, one coloured file processed with "
                 "`--reference` another (same clip or another clip) at intensity 1; RMS over the TBC bands of the "
                 "output's distance to the reference against the input's (level removed).\n\n"
                 + md_table(["pairs", "n", "doing nothing, median dB", "matched, median dB", "halved"], table))
    rep.add(TITLE, text)
