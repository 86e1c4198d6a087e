"""The environment a grading kernel starts with: scrubbed of the user's secrets, every tool's home
inside its run folder, seeded, and quiet.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from keras_course.run.process_tree import RUN_ENV

GRADING_ENV = "KERAS_COURSE_GRADING"  # set in a grading kernel: the notebook's check() does nothing
ENV_KEEP = ("PATH", "LANG", "LC_ALL", "TZ", "SYSTEMROOT")


def kernel_environment(home: Path, seed: int, token: str = "") -> dict[str, str]:
    """A scrubbed environment: no user secrets, every tool's home inside the sandbox."""
    env = {key: os.environ[key] for key in ENV_KEEP if key in os.environ}
    if token:
        env[RUN_ENV] = token  # lets a batch find this run's processes (watchdog.end_tagged)
    venv_bin = str(Path(sys.executable).parent)
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env.update(
        HOME=str(home),
        KERAS_HOME=str(home / ".keras"),
        MPLCONFIGDIR=str(home / ".matplotlib"),
        IPYTHONDIR=str(home / ".ipython"),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(home / ".jupyter-runtime"),
        MPLBACKEND="Agg",
        PYTHONHASHSEED=str(seed),
        TF_CPP_MIN_LOG_LEVEL="3",
        TF_ENABLE_ONEDNN_OPTS="0",
        TF_NUM_INTEROP_THREADS="1",
        TF_NUM_INTRAOP_THREADS="1",
        OMP_NUM_THREADS="1",
        KERAS_BACKEND="tensorflow",
        PYTHONWARNINGS="ignore",
    )
    env[GRADING_ENV] = "1"
    return env
