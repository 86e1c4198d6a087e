"""What the graders in graders/test_<id>.py call: shared checks, held-out measures, feedback."""
