"""Where bubblewrap cannot run, learner code runs as an unprivileged user of its own.

A Docker container, such as Gradescope's autograder, usually refuses bubblewrap its new
namespaces (Docker's seccomp profile, no CAP_SYS_ADMIN). There the recipe of Gradescope's best
practices applies: a user made for the learner's code (the image's setup.sh makes it), the
grader's own files closed to it (`chmod o=`), and its code started as that user, while the
grader, root, reads and writes the results. RUN_AS_ENV names that user (a name, or uid[:gid]);
without it, or where the grader is not root, there is no such fallback (sandbox.isolation).

The grader hands the user the kernel's folders of the run folder (box/: the working folder,
HOME, TMPDIR) and lets it pass through the run folder itself (0711: nothing of it listed), then
starts the kernel with `setpriv`: that uid and gid, no other group, no capability, no new
privilege, and killed when its grading process ends. What it does not get that the sandbox
gives: its own network, pid and ipc namespaces, and the system-call filter; files stay out of
its reach by their modes only.
"""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from keras_course.course.errors import CourseError

RUN_AS_ENV = "KERAS_COURSE_RUN_AS"


@dataclass(frozen=True)
class RunAs:
    """The user learner code runs as: its name (or uid, when it has none) and ids."""

    name: str
    uid: int
    gid: int


def run_as() -> RunAs | None:
    """The user RUN_AS_ENV names, when this grader (root) can start code as it; else None."""
    try:
        return user_to_run_as()
    except CourseError:
        return None


def user_to_run_as() -> RunAs:
    """The user RUN_AS_ENV names; CourseError saying why learner code cannot run as it here."""
    named = os.environ.get(RUN_AS_ENV, "").strip()
    if not named:
        raise CourseError(f"{RUN_AS_ENV} names no user to run learner code as")
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        raise CourseError(f"{RUN_AS_ENV}={named}: only a grader that runs as root, with setpriv, can use it")
    user = parse_user(named)
    if user.uid == 0 or user.gid == 0:
        raise CourseError(f"{RUN_AS_ENV}={named}: that is root, not an unprivileged user")
    return user


def parse_user(named: str) -> RunAs:
    """A user by name (from the user database), or by uid[:gid] (which needs no entry there)."""
    uid, _, gid = named.partition(":")
    if uid.isdigit() and (not gid or gid.isdigit()):
        return RunAs(named, int(uid), int(gid or uid))
    try:
        entry = pwd.getpwnam(named)
    except KeyError:
        raise CourseError(f"{RUN_AS_ENV}={named}: no such user") from None
    return RunAs(named, entry.pw_uid, entry.pw_gid)


def drop_to(user: RunAs) -> list[str]:
    """The command prefix that starts a program as user, with nothing of root's."""
    return [
        shutil.which("setpriv") or "setpriv",
        f"--reuid={user.uid}",
        f"--regid={user.gid}",
        "--clear-groups",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--no-new-privs",
    ]


def start_as(user: RunAs) -> list[str]:
    """The command prefix that starts the kernel as user, killed when the process that started it
    ends, however it ends (as bwrap's --die-with-parent does in the sandbox)."""
    return [*drop_to(user), "--pdeathsig", "SIGKILL"]


def hand_over(root: Path, folders: Iterable[Path], user: RunAs) -> None:
    """Give user the kernel's folders of a run folder, and a way through the run folder to them
    (0711: it may pass, not list); CourseError where a folder above bars its way."""
    for above in root.resolve().parents:
        if not os.stat(above).st_mode & 0o001:
            raise CourseError(
                f"{above}: the user {user.name} that runs learner code cannot pass through it; "
                "set TMPDIR to a folder that others may pass through, such as /tmp"
            )
    os.chmod(root, 0o711)
    for folder in folders:
        os.chown(folder, user.uid, user.gid)
