"""One session of a sandboxed kernel: the cells of a run executed by nbclient in a kernel that
the sandbox provisioner starts (sandbox_provisioner.py), under the watchdog (watchdog.py) and
the output limit (limited_client.py). It says what stopped the cells, in the learner's words,
and leaves every output in the notebook it ran. runner.py prepares the cells and reads them back.

nbclient and jupyter_client are imported here, at the top: runner.py imports this module only
where a notebook runs, so that grading an export alone (nbgrader's test cells) costs neither.
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from keras_course.course.errors import CourseError
from keras_course.run.limited_client import LimitedClient
from keras_course.run.sandbox_provisioner import NAME, kernelspec
from keras_course.run.signals import sigterm_raises
from keras_course.run.watchdog import GRACE, LIMIT_MESSAGES, Watchdog


@dataclass(frozen=True)
class KernelPlan:
    """Where and under which limits a run's kernel starts."""

    kernels: Path  # the folder of the run's kernelspec
    cwd: Path  # the folder the provisioner copies into the kernel's, the data files
    box: Path  # the folder the kernel may write, which the disk limit watches
    root: str  # the run folder the sandbox mounts (a slot's, when warm)
    isolation: str  # what the kernel runs under (sandbox.isolation): sandbox, user or none
    seed: int
    run_token: str  # the tag of this run's processes (process_tree.py)
    forkserver: str  # the slot's fork server (forkserver.Handle.to_env), or ""
    limits: dict[str, float]  # timeout, memory, output, processes, disk: as LIMIT_MESSAGES name them


@dataclass
class Session:
    """What a session ended with."""

    error: str | None = None  # what stopped the cells, in plain words; None: they all ran
    peak_tasks: int = 0  # the most processes and threads the kernel's tree had at once


def run_cells(run_nb: nbformat.NotebookNode, plan: KernelPlan, deadline: float) -> Session:
    """Execute run_nb's cells in a kernel started by plan, until deadline (time.monotonic());
    the outputs are left in run_nb. Every process the kernel started is ended on return."""
    run_nb.metadata["kernelspec"] = {"name": NAME, "display_name": "Python 3"}
    manager = kernel_manager(plan)
    watchdog = Watchdog(
        None if plan.forkserver else plan.limits["memory"],  # a forked kernel's own is its cgroup's
        deadline=deadline + GRACE,
        disk=(plan.box, plan.limits["disk"]),
        processes=int(plan.limits["processes"]),
        also=lambda: manager.provisioner.cgroup_pids() if manager.provisioner else [],
    )
    client = LimitedClient(
        run_nb,
        watchdog=watchdog,
        output_limit=int(plan.limits["output"] * 1024 * 1024),
        km=manager,
        kernel_name=NAME,
        allow_errors=True,
        timeout_func=lambda cell: max(1, int(deadline - time.monotonic())),
        resources={"metadata": {"path": str(plan.cwd)}},
        iopub_timeout=10,
        shutdown_kernel="immediate",
    )
    session = Session(error=execute(client, watchdog, plan))
    provisioner = manager.provisioner
    reason = watchdog.reason or getattr(provisioner, "limit_reason", None)
    if reason is not None:  # a limit ended the run: that is the reason, in plain words
        session.error = LIMIT_MESSAGES[reason].format(**plan.limits)
    session.peak_tasks = max(watchdog.peak_tasks, getattr(provisioner, "peak_tasks", 0))
    return session


def kernel_manager(plan: KernelPlan) -> AsyncKernelManager:
    """A kernel manager whose kernelspec names the sandbox provisioner, configured by plan."""
    kernelspec(
        plan.kernels,
        mode={"sandbox": "required", "user": "auto"}.get(plan.isolation, "off"),
        processes=int(plan.limits["processes"]),
        memory_mb=plan.limits["memory"],
        disk_mb=plan.limits["disk"],
        run_dir=plan.root,
        seed=plan.seed,
        run_token=plan.run_token,
        forkserver=plan.forkserver,
    )
    return AsyncKernelManager(
        kernel_name=NAME, kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(plan.kernels)])
    )


def execute(client: LimitedClient, watchdog: Watchdog, plan: KernelPlan) -> str | None:
    """Run the client's cells under the watchdog; what stopped them, or None."""
    try:
        with sigterm_raises(), watchdog:  # on leaving, every process it started is ended
            client.execute(
                cleanup_kc=True,  # shut the kernel down: its provisioner then ends its cgroup
                cwd=str(plan.cwd),
                stdout=subprocess.DEVNULL,  # the kernel's own log lines are not for the learner
                stderr=subprocess.DEVNULL,
            )
    except CellTimeoutError:
        return LIMIT_MESSAGES["time"].format(**plan.limits)
    except DeadKernelError:
        return "the notebook's kernel died (the notebook ended its own Python process)"
    except CourseError:
        raise
    except Exception as exc:  # a kernel that could not start, or a broken connection
        return f"the notebook could not be run: {type(exc).__name__}: {exc}"
    return None
