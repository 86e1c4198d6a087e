"""Run the `keras-course` command as `python -m keras_course`."""

from keras_course.cli import main

raise SystemExit(main())
