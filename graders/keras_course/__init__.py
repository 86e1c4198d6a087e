"""keras-course: autograded exercises for chapter 1 of 'Introduction to Deep Learning with Keras'."""

__version__ = "0.1.0"
