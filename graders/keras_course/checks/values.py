"""Checks of the data a learner hands to a check: rows of the exercise's own data, as many as the
notebook makes.

A check that computes with a learner's array (a forward pass over `sensors_test`, say) must
not pass on what is not there, an empty or shrunk test set, nor compute with what the exercise
never makes, a 64 MB array of anything. So such an array is bounded before any computation on
it: its shape, then its number of rows, which must be what the notebook's own split makes
(rows_in_test_part), and only then its rows, each of which must be a row of the data file the notebook
reads. The graders call these with the exercise's data and the fix the learner should make.
"""

from __future__ import annotations

import numpy as np

from keras_course.checks.feedback import fail, plural


def rows_in_test_part(rows: int, test_size: float) -> int:
    """How many rows the notebooks' train_test_split puts into the test part."""
    return int(round(rows * test_size))


def rows_not_in(values: np.ndarray, data: np.ndarray) -> list[int]:
    """The rows of values (a 2-D array with data's columns) that are no row of data: equal to
    parsing precision, since a learner may read the file with another parser than pandas."""
    return [
        i for i, row in enumerate(values) if not np.isclose(data, row, rtol=1e-9, atol=0).all(axis=1).any()
    ]


def expect_rows(
    values: np.ndarray, name: str, data: np.ndarray, count: int, source: str, fix: str
) -> np.ndarray:
    """values, the array of the learner's variable `name`, once it holds `count` rows of data
    (the rows of the file `source`), checked in that order; fails with fix otherwise."""
    columns = data.shape[1]
    if values.ndim != 2 or values.shape[1] != columns:
        fail(
            f"`{name}` should be a table of {count} rows and {columns} columns, rows of {source}; "
            f"yours has shape {values.shape}. {fix}"
        )
    if len(values) != count:
        fail(f"`{name}` should hold {plural(count, 'row')} of {source}; yours holds {len(values)}. {fix}")
    strangers = rows_not_in(values, data)
    if strangers:
        first = strangers[0]
        fail(
            f"`{name}` should hold rows of {source}; {len(strangers)} of its {count} rows are not in "
            f"it, the first is row {first}: {values[first].tolist()}. {fix}"
        )
    return values
