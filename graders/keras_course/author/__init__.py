"""Making course material from the sources: learner stubs, the nbgrader course, calibration."""
