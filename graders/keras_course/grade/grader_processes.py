"""The fresh process each grading runs in, forked from a server that imported the grader once.

Each notebook is graded by its pytest grader in a process of its own, so that nothing one
grading does reaches the next. Starting Python, pytest, NumPy, nbclient and the grader's own
modules costs over a second of CPU per process; instead, multiprocessing's fork server imports
them once, in a process with no thread, and forks a ready process per grading (a daemonic
process, as a Dask worker is, may not start such children: it starts `python -m pytest`). The forked
process gets the environment and the working folder it is given, not the server's, and is
killed when the server ends, which it does when the process that started it has gone.

Each grading process is also told (CAP_OPTION) to cap its address space once the notebook's
kernel has ended (cap_address_space, which the plugin calls): a check that allocates past what
course.toml [limits] checks_mb allows then meets a MemoryError, a failed check with a plain
message, where it would otherwise take the machine's memory or kill the grader. The kernel is
not capped (TensorFlow reserves far more address space than it uses), nor the tests' in-process
grading.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

# Third-party modules only: keras_course's own read the environment when imported (paths.py's
# KERAS_COURSE_DATASETS, say), so each grading process imports them afresh, with its own.
PRELOAD = ["pytest", "nbclient", "jupyter_client", "nbformat", "numpy"]
# What a grading that draws its report section imports besides (report/plots.py): about 1 s of
# CPU per notebook, paid once by the server when a batch asks for reports (preload_reports).
REPORT_PRELOAD = ["matplotlib", "seaborn"]
PR_SET_PDEATHSIG = 1
CAP_OPTION = "--cap-check-memory"  # the plugin's option: cap this process before the checks run
_context = None


def preload_reports() -> None:
    """Have the server import the report's drawing libraries too, when it has not started yet:
    a batch that draws a report section per notebook (grade --html-dir)."""
    if _context is None:
        PRELOAD.extend(name for name in REPORT_PRELOAD if name not in PRELOAD)


def _context_with_preload() -> multiprocessing.context.BaseContext:
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def _pytest_main(args: list[str], env: dict[str, str], cwd: str, output: str) -> None:  # the child
    import pytest  # lazy: imported by the forked child only, which runs the grader

    # Ended with the server, which ends with the process that started it (a batch, a Dask worker):
    # a killed batch leaves no grading process behind, nor the kernel that dies with it.
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    for name in [n for n in sys.modules if n == "keras_course" or n.startswith("keras_course.")]:
        del sys.modules[name]  # imported by unpickling this function: again, with env
    with open(output, "wb") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
    sys.stdout.flush()
    code = pytest.main(args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(int(code))


def run_pytest(
    args: list[str], env: dict[str, str], cwd: Path, limit: float, log: Path
) -> tuple[int | None, str]:
    """Run pytest.main(args) in a fresh process, capped once its notebook has run (CAP_OPTION);
    its exit code (None past limit seconds, when the process is killed) and what it printed,
    which goes through the file log."""
    args = [*args, CAP_OPTION]
    if multiprocessing.current_process().daemon:  # a Dask worker: it may not have such children
        return _run_python(args, env, cwd, limit)
    with open(log, "w+b") as output:
        process = _context_with_preload().Process(
            target=_pytest_main, args=(args, env, str(cwd), output.name), daemon=False
        )
        process.start()
        process.join(limit)
        if process.exitcode is None:
            process.kill()
            process.join()
            return None, ""
        printed = Path(output.name).read_text(encoding="utf-8", errors="replace")
        return process.exitcode, printed


def _run_python(args: list[str], env: dict[str, str], cwd: Path, limit: float) -> tuple[int | None, str]:
    """`python -m pytest args`: a fresh process that imports everything itself."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", *args],
            capture_output=True,
            text=True,
            timeout=limit,
            env=env,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        return None, ""
    return done.returncode, done.stdout + done.stderr


def cap_address_space(extra_mb: float) -> None:
    """Cap this process's address space (RLIMIT_AS) at what it maps now plus extra_mb, so that an
    allocation past it raises MemoryError. Linux only: elsewhere there is no /proc to read what
    the process maps, and macOS does not enforce the limit."""
    statm = Path("/proc/self/statm")
    if not statm.is_file():
        return
    import resource  # lazy: Windows has no resource module, and no /proc either

    mapped = int(statm.read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    soft, hard = mapped + int(extra_mb * 2**20), resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
