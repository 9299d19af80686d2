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
    rep.figure("unseen words (held-out Audealize words), term curve vs crowd curve",
               f"median r {held['median_r']:.2f} over {len(words)} words, {sum(w['refused'] for w in words)} refused; "
               f"mean-curve baseline {held['mean_curve']:.2f}, nearest spelling {held['nearest_spelling']:.2f}",
               "median r ≥ 0.6 and ≥ baseline + 0.2",
               held["median_r"] >= 0.6 and held["median_r"] >= held["mean_curve"] + 0.2, TITLE)
    text = ("Held-out words (`data/audealize_heldout_words.json`, out of every training stage): "
            "`process pink.wav --term WORD --intensity 1`, applied response against the word's 40-band crowd "
            "curve over 40 Hz … 12.5 kHz; baselines: the mean curve of the training words, and the learnt word "
            "nearest in spelling.\n\n"
            + md_table(["word", "agreement", "r", "nearest spelling", "r (spelling)"],
                       [(w["word"], f"{w['agreement']:.2f}", f"{w['r']:+.2f}", w["spelling"], f"{w['r_spelling']:+.2f}")
                        for w in sorted(words, key=lambda w: -w["r"])]))
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
