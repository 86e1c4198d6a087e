"""The one way a grading kernel starts: a jupyter_client kernel provisioner.

Every kernel that grades a notebook starts through SandboxProvisioner: `keras-course check` and
`grade`, the pytest graders, and `nbgrader autograde` in the course folder that `keras-course
nbgrader` writes (its kernelspec names this provisioner). Before the kernel starts it:

- makes the run folder (sandbox.RunFolder) and copies into box/work the data files of the
  folder the kernel was asked to start in (not its notebooks, and only regular files with one
  name, following no link: copy_data_files);
- gives the kernel a scrubbed environment (environment.kernel_environment), its homes in box/home;
- when sandboxed: ZeroMQ over Unix sockets in box/ (the sandbox has no network, so no TCP on
  127.0.0.1), a cap on the size of any file it writes (RLIMIT_FSIZE, `disk_mb`), a cgroup of
  its own with `processes` and `memory_mb` limits where the machine allows one, and bwrap;
- where bwrap cannot run and an unprivileged user is set (isolation "user", unprivileged.py):
  the same, but instead of bwrap, box/ is that user's and the kernel starts as it;
- when `service` names one ("module:Class", set by the nbgrader course for its test cells),
  starts that service beside the kernel, outside the sandbox: the check service that grades the
  kernel's exported variables (grade/check_service.py). The provisioner knows no service: it
  loads the one it is told by name, as pytest loads a plugin;
- when `forkserver` is set (a batch's slot, forkserver.py), has the slot's fork server, which
  already runs in a sandbox of this run folder, fork the kernel instead of starting one, and
  moves it into the run's cgroup before it runs anything.

After the kernel has ended, `limit_reason` says whether a cgroup limit stopped it.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from jupyter_client.provisioning import LocalProvisioner
from traitlets import Float, Int, Unicode

from keras_course.course.errors import CourseError
from keras_course.run import sandbox, unprivileged
from keras_course.run.cgroups import RunCgroup
from keras_course.run.environment import kernel_environment
from keras_course.run.forkserver import ForkedKernel, Handle
from keras_course.run.leftovers import OwnedFolder
from keras_course.run.real_files import opened_real

NAME = "keras-course-sandbox"  # the entry point in pyproject.toml, and the kernelspec's name
MAX_DATA_BYTES = 256 * 1024 * 1024  # what is copied into a run folder at most
KERNEL_PREFIX = "keras-course-kernel-"  # a kernel's own run folder (nbgrader's), named after its owner


def copy_data_files(source: Path, target: Path) -> None:
    """Copy the files of source that are not notebooks (the exercise's data) into target: only
    regular files with one name, read without following a link (real_files.py), so that a
    learner's folder cannot bring in a file from elsewhere, nor make the copy wait on a pipe."""
    room = MAX_DATA_BYTES
    for entry in sorted(source.iterdir()) if source.is_dir() else []:
        if not (entry.name.startswith(".") or entry.suffix == ".ipynb"):
            room -= copy_real(entry, target / entry.name, room)
            if room < 0:
                break


def copy_real(source: Path, target: Path, room: int) -> int:
    """Copy source to target when it is a real file (real_files.py) of at most room bytes;
    return its size (0 when it is not a real file)."""
    try:
        with opened_real(source) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size <= room:
                with open(target, "wb") as copy:
                    shutil.copyfileobj(handle, copy)
            return size
    except (CourseError, OSError):
        return 0


def load_service(name: str) -> type:
    """The service class named "module:Class" (imported by name: run/ imports nothing of grading)."""
    module, _, attribute = name.partition(":")
    return getattr(importlib.import_module(module), attribute)


def kernelspec(folder: Path, **config: Any) -> Path:
    """Write the kernelspec of a sandboxed Python kernel into folder/NAME; return that folder.

    config sets SandboxProvisioner's settings (mode, processes, memory_mb, ...)."""
    spec = {
        "argv": ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (keras-course)",
        "language": "python",
        "interrupt_mode": "message",  # a signal would end bwrap, not interrupt the kernel
        "metadata": {"kernel_provisioner": {"provisioner_name": NAME, "config": config}},
    }
    target = folder / NAME
    target.mkdir(parents=True, exist_ok=True)
    (target / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return target


class SandboxProvisioner(LocalProvisioner):
    """Starts a local ipykernel in its run folder, in the sandbox when `sandbox` is set."""

    mode = Unicode("required", config=True, help="sandbox mode: required, auto or off (sandbox.MODES)")
    processes = Int(256, config=True, help="processes and threads the kernel may have at once")
    memory_mb = Float(4096, config=True, help="MB the kernel and all it starts may use")
    disk_mb = Float(500, config=True, help="MB the kernel may write into its run folder")
    run_dir = Unicode("", config=True, help="the run folder (default: a new temporary one)")
    seed = Int(42, config=True, help="PYTHONHASHSEED of the kernel")
    run_token = Unicode("", config=True, help="the tag of this run in the kernel's environment")
    service = Unicode(
        "",
        config=True,
        help="a service to start beside the kernel, as 'module:Class': Class(box, notebooks) with "
        "socket_path, start() and stop(); the kernel finds the socket in the variable Class.ENV",
    )
    forkserver = Unicode("", config=True, help="the slot's fork server (forkserver.Handle, JSON)")

    isolation = "none"  # what the kernel got: "sandbox" or "none"
    limit_reason: str | None = None
    peak_tasks = 0
    _cgroup: RunCgroup | None = None
    _own_dir: OwnedFolder | None = None
    _service: Any = None
    _warm: Handle | None = None

    async def pre_launch(self, **kwargs: Any) -> dict[str, Any]:
        km = self.parent
        self.isolation = sandbox.isolation(self.mode)  # "required" and no bwrap: CourseError
        sandboxed = self.isolation == "sandbox"
        user = unprivileged.user_to_run_as() if self.isolation == "user" else None
        root = self.run_dir
        if not root:
            self._own_dir = OwnedFolder(KERNEL_PREFIX)
            root = self._own_dir.name
        folder = sandbox.RunFolder(Path(root))
        if self.forkserver:  # the slot's folder, which the runner has emptied (before its watchdog)
            self._warm = Handle(**json.loads(self.forkserver))
        folder.make(sandboxed)
        if user is not None:
            unprivileged.hand_over(folder.root, folder.kernel_folders, user)
        requested = kwargs.get("cwd")
        if requested:
            copy_data_files(Path(requested), folder.work)
        kwargs["cwd"] = str(folder.work)
        env = kernel_environment(folder.home, self.seed, self.run_token)
        env["TMPDIR"] = str(folder.tmp)
        if self.service:
            self._service = load_service(self.service)(folder.box, Path(requested) if requested else None)
            env[self._service.ENV] = str(self._service.socket_path)
        kwargs["env"] = self._env = env
        km.connection_file = str(folder.box / "kernel.json")
        if self.isolation != "none":
            km.transport = "ipc"
            km.ip = str(folder.box / "kernel")
        kwargs = await super().pre_launch(**kwargs)
        if self.isolation != "none":
            kwargs["cmd"] = self._isolated(kwargs["cmd"], folder, user)
        return kwargs

    def _isolated(
        self, cmd: list[str], folder: sandbox.RunFolder, user: unprivileged.RunAs | None
    ) -> list[str]:
        """The kernel's command in the sandbox, or as the unprivileged user, in a cgroup of its
        own where one can be made; the kernel's user may read its connection file."""
        if user is None:
            if os.geteuid() == 0:
                os.chown(self.parent.connection_file, sandbox.SANDBOX_UID, sandbox.SANDBOX_UID)
            command = sandbox.wrap_limited(cmd, folder.box, folder.work, self.disk_mb)
        else:
            os.chown(self.parent.connection_file, user.uid, user.gid)
            command = sandbox.limit_file_size([*unprivileged.start_as(user), *cmd], self.disk_mb)
        self._cgroup = RunCgroup.create(self.processes, self.memory_mb)
        return self._cgroup.join_command(command) if self._cgroup else command

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        if self._warm is None:
            return await super().launch_kernel(cmd, **kwargs)
        join = [folder / "cgroup.procs" for folder in self._cgroup.folders] if self._cgroup else []
        try:
            pid = self._warm.fork_kernel(self.parent.connection_file, kwargs["cwd"], self._env, join)
        except (OSError, ValueError, KeyError):  # the server has gone: a cold start, as without it
            self._warm = None
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)
        self.pid = self.pgid = pid  # the kernel leads its own session
        self.cwd = kwargs["cwd"]
        return self.connection_info

    def cgroup_pids(self) -> list[int]:
        """The processes in the run's cgroup (a forked kernel is not the grader's descendant)."""
        return self._cgroup.pids_in() if self._cgroup is not None else []

    async def post_launch(self, **kwargs: Any) -> None:
        await super().post_launch(**kwargs)
        if self._service is not None:
            self._service.start()

    async def cleanup(self, restart: bool = False) -> None:
        if self._service is not None:
            self._service.stop()
            self._service = None
        if self._cgroup is not None:
            self._cgroup.kill()
            self.limit_reason = self._cgroup.limit_hit()
            self.peak_tasks = self._cgroup.peak_tasks()
            self._cgroup.remove()
            self._cgroup = None
        if self._own_dir is not None:
            self._own_dir.cleanup()
            self._own_dir = None
        await super().cleanup(restart=restart)
