"""The sample submissions that `keras-course demo` grades, made from the reference solutions.

`python tools/samples.py` rewrites samples/; test_samples_in_sync checks that it is current.
- sam: a complete learner who writes some answers another correct way;
- mia: a learner with typical mistakes, who has not submitted every exercise.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the tests' catalogue of notebooks

from mistakes import CORRECT, MISTAKES  # noqa: E402

SOLUTIONS = HERE.parent / "solutions"
SAMPLES = HERE.parent / "samples"
# fmt: off
PLAN = {
    "sam": [("hello_nets", "tf_keras_input_and_function"), ("build_as_shown", "list_form"),
            ("counting_parameters", None), ("meteor_orbit", None)],
    "mia": [("hello_nets", "sigmoid_hidden"), ("counting_parameters", "whole_model"),
            ("build_as_shown", "four_units"), ("dollar_bills", "untrained"), ("darts", "no_codes")],
}
# fmt: on


def sample_texts() -> dict[Path, str]:
    """Every sample notebook's path and text."""
    variants = {(v.exercise, v.name): v for v in [*MISTAKES, *CORRECT]}
    texts = {}
    for learner, plan in PLAN.items():
        for exercise, variant in plan:
            text = (SOLUTIONS / f"{exercise}.ipynb").read_text(encoding="utf-8")
            if variant is not None:
                text = variants[(exercise, variant)].apply(text)
            texts[SAMPLES / learner / f"{exercise}.ipynb"] = text
    return texts


if __name__ == "__main__":
    for path, text in sample_texts().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
