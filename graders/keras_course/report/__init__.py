"""What grading writes for people and tools: JSON, CSV, JUnit, checklists, LMS gradebooks."""
