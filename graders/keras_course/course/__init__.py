"""The course's settings (course.toml), its data sets, and where its files live."""
