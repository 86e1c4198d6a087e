"""Reading what a run exported, as plain data, without TensorFlow."""
