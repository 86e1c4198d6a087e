"""Load the keras-course pytest plugin for the graders in this folder."""

pytest_plugins = ["keras_course.plugin"]
