"""keras-course: autograded exercises for chapter 1 of 'Introduction to Deep Learning with Keras'.

`from keras_course import check; check()` in a notebook checks its variables as they stand
(in_notebook.py).
"""

import os
import sys

from keras_course.course.paths import CACHE, INSTALLED

__version__ = "0.1.0"


def check(exercise: str | None = None) -> None:
    """Check this notebook's variables as they are now, without running anything again, and show
    the checklist. `exercise` names the exercise where the notebook's metadata cannot."""
    from keras_course.in_notebook import check as check_here  # grading's imports, only when asked

    check_here(exercise)


# Keras and matplotlib write into the home directory unless told otherwise: in the repository, a
# keras-course process that imports them (the banknotes download does) keeps them in .cache/.
if not INSTALLED:
    os.environ.setdefault("KERAS_HOME", str(CACHE / "keras"))
    os.environ.setdefault("MPLCONFIGDIR", str(CACHE / "matplotlib"))

# nbformat validates with jsonschema, which imports the optional IRI checker rfc3987_syntax when
# it is installed. That module builds a grammar at import time: 2 s in every grading process,
# for a format that notebooks never use. Marking it absent makes jsonschema skip it.
sys.modules.setdefault("rfc3987_syntax", None)
