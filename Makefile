# Evaluation of the adaptive-eq CLI (see eval/README.md).
#
#   make eval         build the CLI from the work tree (release, own scratch folder) and write
#                     docs/EVALUATION_REPORT.md with plots in docs/eval/
#   make eval-head    the same, but build a clean export of the last commit (git archive HEAD),
#                     so uncommitted changes in the work tree do not leak into the figures
#   make eval-quick   a development run (EVAL_QUICK=1: ≤ 20 real clips, fewer colourings and words; minutes)
#   make eval-test    check the harness's metric implementations and the Python toolkit (fast)
#   make docs         API documentation of the library products (DocC, static HTML in build/docs;
#                     fails on any warning or undocumented public symbol: scripts/docs.sh)
#
# Variables: EVAL_REAL_CLIPS=folder of real recordings (default build/real/clips, written by
# python -m training.real_corpus), EVAL_CLIPS=folder of synthetic clips (default build/clips), EVAL_MODEL=model file
# (default: the bundled one), PYTHON, EVAL_SCRATCH (SwiftPM scratch folder, default .build-eval).

PYTHON ?= python3
EVAL_SCRATCH ?= .build-eval
EVAL_HEAD ?= .build-eval-head
EVAL_CLIPS ?= build/clips
EVAL_REAL_CLIPS ?= build/real/clips
export EVAL_CLIPS EVAL_REAL_CLIPS

.PHONY: eval eval-build eval-head eval-quick eval-test docs

docs:
	scripts/docs.sh

eval: eval-build
	$(PYTHON) eval/evaluate.py --bin "$$(swift build -c release --scratch-path $(EVAL_SCRATCH) --show-bin-path)/adaptive-eq"

eval-build:
	swift build -c release --scratch-path $(EVAL_SCRATCH) --product adaptive-eq

eval-head:
	rm -rf $(EVAL_HEAD)/src && mkdir -p $(EVAL_HEAD)/src
	git archive HEAD | tar -x -C $(EVAL_HEAD)/src
	if [ -f Package.resolved ]; then cp Package.resolved $(EVAL_HEAD)/src/; fi
	cd $(EVAL_HEAD)/src && swift build -c release --scratch-path ../build --product adaptive-eq
	EVAL_SRC="$(EVAL_HEAD)/src" $(PYTHON) eval/evaluate.py \
	  --bin "$$(cd $(EVAL_HEAD)/src && swift build -c release --scratch-path ../build --show-bin-path)/adaptive-eq"

eval-quick:
	EVAL_QUICK=1 $(MAKE) eval

# AEQ_BIN: also check python/aeq/parameters.json against the CLI built by make eval.
eval-test:
	AEQ_BIN="$$(swift build -c release --scratch-path $(EVAL_SCRATCH) --show-bin-path)/adaptive-eq" \
	  $(PYTHON) -m pytest -q eval/test_metrics.py python/tests
