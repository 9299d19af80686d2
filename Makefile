# Evaluation of the adaptive-eq CLI (see eval/README.md).
#
#   make eval         build the CLI (release, own scratch folder) and write docs/EVALUATION_REPORT.md
#   make eval-test    check the harness's metric implementations (fast, no CLI)
#
# Variables: EVAL_CLIPS=folder of WAV clips (default build/clips), EVAL_MODEL=model file
# (default: the bundled one), PYTHON, EVAL_SCRATCH (SwiftPM scratch folder, default .build-eval).

PYTHON ?= python3
EVAL_SCRATCH ?= .build-eval
EVAL_CLIPS ?= build/clips
export EVAL_CLIPS

.PHONY: eval eval-build eval-test

eval: eval-build
	$(PYTHON) eval/evaluate.py --bin "$$(swift build -c release --scratch-path $(EVAL_SCRATCH) --show-bin-path)/adaptive-eq"

eval-build:
	swift build -c release --scratch-path $(EVAL_SCRATCH) --product adaptive-eq

eval-test:
	$(PYTHON) -m pytest -q eval/test_metrics.py
