"""Running one notebook: the kernel, its sandbox, its limits, and the cells added around it."""
