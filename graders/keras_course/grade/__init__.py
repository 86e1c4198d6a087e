"""Grading notebooks and batches of them, and keeping their results."""
