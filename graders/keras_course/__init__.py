"""keras-course: autograded exercises for chapter 1 of 'Introduction to Deep Learning with Keras'."""

import sys

__version__ = "0.1.0"

# nbformat validates with jsonschema, which imports the optional IRI checker rfc3987_syntax when
# it is installed. That module builds a grammar at import time: 2 s in every grading process,
# for a format that notebooks never use. Marking it absent makes jsonschema skip it.
sys.modules.setdefault("rfc3987_syntax", None)
