"""Removing what a run left cannot be defeated (run/cleanup.py), a slot that cannot be cleaned is
thrown away (grade/slots.py), a forking chain cannot outrun the kill (run/cgroups.py), and what a
killed grader left is removed by the next one (run/leftovers.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from keras_course.grade.slots import SLOT_PREFIX, WarmSlots
from keras_course.run.cgroups import RunCgroup
from keras_course.run.cleanup import remove_tree
from keras_course.run.leftovers import owned_folder, owner_alive, remove_orphans
from keras_course.run.sandbox import unavailable

DEPTH = 3000  # Python 3.11's shutil.rmtree raises RecursionError at about 1,000
NOBODY = 65534


def deep_tree(top: Path, depth: int = DEPTH) -> None:
    """A chain of folders `depth` deep below top, made by descriptors (its path is too long)."""
    here = os.open(top, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=here)
        below = os.open("d", os.O_RDONLY, dir_fd=here)
        os.close(here)
        here = below
    os.close(os.open("bottom", os.O_WRONLY | os.O_CREAT, dir_fd=here))
    os.close(here)


def hostile_tree(top: Path, outside: Path) -> None:
    """Depth, many files, odd names, locked folders, links to outside, a FIFO."""
    top.mkdir()
    deep_tree(top)
    many = top / "many"
    many.mkdir()
    for i in range(5000):
        (many / f"f{i}").touch()
    for name in ("-rf", "new\nline", "sp ace", "*", "\udcff\udcfe"):
        (top / name).write_text("x")
    locked = top / "locked" / "inner"
    locked.mkdir(parents=True)
    (locked / "secret").write_text("x")
    for path in (locked / "secret", locked, locked.parent):
        os.chmod(path, 0)
    (top / "link").symlink_to(outside)
    (top / "file-link").symlink_to(outside / "kept")
    os.mkfifo(top / "fifo")


def test_shutil_rmtree_fails_on_the_deep_tree(tmp_path):
    """The reason remove_tree exists: the standard library's removal fails here."""
    deep_tree(tmp_path)
    try:
        with pytest.raises(RecursionError):
            shutil.rmtree(tmp_path / "d")
    finally:
        assert remove_tree(tmp_path / "d")  # pytest's own clean-up of tmp_path uses rmtree


@pytest.mark.parametrize("keep_top", [False, True])
def test_remove_tree_removes_a_hostile_tree_and_nothing_outside(tmp_path, keep_top):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "kept").write_text("not the notebook's")
    hostile_tree(tmp_path / "tree", outside)
    assert remove_tree(tmp_path / "tree", keep_top=keep_top)
    assert (tmp_path / "tree").exists() == keep_top
    assert not keep_top or list((tmp_path / "tree").iterdir()) == []
    assert (outside / "kept").read_text() == "not the notebook's"


def as_nobody(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run Python code as uid 65534 (setpriv), as the sandbox's server cleans its /tmp."""
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", sys.executable]
    env = {"PYTHONPATH": str(Path(__file__).resolve().parent.parent / "graders"), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [*command, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_an_owner_without_rights_removes_the_tree_it_locked(tmp_path):
    """Not root: the owner of a chmod 000 tree gives itself its rights back to remove it."""
    os.chmod(tmp_path, 0o755)
    for parent in tmp_path.parents:
        if not os.access(parent, os.X_OK, effective_ids=False):
            pytest.skip(f"{parent} is closed to other users")
    work = tmp_path / "work"
    work.mkdir()
    os.chown(work, NOBODY, NOBODY)
    make = "import os, pathlib\np = pathlib.Path('t/a/b'); p.mkdir(parents=True); (p / 'f').write_text('x')\n"
    make += "[os.chmod(q, 0) for q in ('t/a/b/f', 't/a/b', 't/a')]\nos.chmod('t', 0o500)"
    assert as_nobody(make, work).returncode == 0
    remove = "import pathlib\nfrom keras_course.run.cleanup import remove_tree\n"
    remove += "print(remove_tree(pathlib.Path('t')))"
    done = as_nobody(remove, work)
    assert done.stdout.strip() == "True", done.stderr
    assert not (work / "t").exists()


def test_a_mount_below_is_left_and_reported(tmp_path):
    """remove_tree stays on its file system: what is mounted below is not its to remove."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount")
    (tmp_path / "t" / "mnt").mkdir(parents=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(tmp_path / "t" / "mnt")], check=True
    )
    try:
        (tmp_path / "t" / "mnt" / "kept").write_text("x")
        assert remove_tree(tmp_path / "t") is False
        assert (tmp_path / "t" / "mnt" / "kept").exists()
    finally:
        subprocess.run(["umount", str(tmp_path / "t" / "mnt")], check=True)


FORK_CHAIN = """
import os, time
while True:  # each process forks a child and exits; a fork refused (pids.max) is tried again
    try:
        if os.fork():
            os._exit(0)
    except OSError:
        pass
    time.sleep(0.0005)
"""


def test_a_forking_chain_cannot_outrun_the_kill_of_its_cgroup():
    group = RunCgroup.create(256, 256)
    if group is None:
        pytest.skip("no cgroup can be made here")
    try:
        chain = subprocess.Popen(group.join_command([sys.executable, "-c", FORK_CHAIN]))
        chain.wait()  # its first process exits at once; its descendants go on
        time.sleep(0.5)
        assert group.pids_in(), "the chain is not running"
        assert group.kill(), f"left running: {group.pids_in()}"
        time.sleep(0.2)
        assert group.pids_in() == []
    finally:
        assert group.remove()


def test_a_dead_owners_folders_are_removed_and_a_live_ones_kept(tmp_path):
    mine = owned_folder(SLOT_PREFIX, tmp_path)
    code = "from keras_course.run.leftovers import owned_folder\n"
    code += f"print(owned_folder({SLOT_PREFIX!r}, {str(tmp_path)!r}))"
    dead = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    orphan = Path(dead.stdout.strip())
    deep_tree(orphan, 1500)
    untagged = tmp_path / f"{SLOT_PREFIX}untagged"
    untagged.mkdir()
    assert not owner_alive(orphan.name, SLOT_PREFIX) and owner_alive(mine.name, SLOT_PREFIX)
    assert remove_orphans(SLOT_PREFIX, tmp_path) == []
    assert (mine.exists(), orphan.exists(), untagged.exists()) == (True, False, True)


def unmount_below(folder: Path) -> None:
    for line in Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines():
        point = line.split()[4]
        if point.startswith(f"{folder}/"):
            subprocess.run(["umount", point], check=True)


@pytest.mark.notebook
@pytest.mark.skipif(unavailable() is not None, reason=f"no sandbox here: {unavailable()}")
def test_a_slot_that_cannot_be_cleaned_is_thrown_away_for_a_fresh_one(tmp_path):
    """A slot whose server has gone, or whose box holds what cannot be removed (a mount), is
    replaced: the next notebook gets a fresh slot, not the broken one."""
    slots = WarmSlots(42)
    try:
        first = slots.handle()
        assert first is not None and slots.handle() == first, "a clean slot is kept"
        os.kill(first.pid, signal.SIGKILL)
        second = slots.handle()
        assert second is not None and second.root != first.root and second.alive()
        assert len(slots.thrown_away) == 1 and "fork server" in slots.thrown_away[0][0], slots.thrown_away
        assert not Path(first.root).exists()
        if os.geteuid() == 0:
            mount = Path(second.root) / "box" / "work" / "mnt"
            mount.mkdir(parents=True)
            subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], check=True)
            try:
                third = slots.handle()
            finally:
                unmount_below(Path(second.root))  # where remove_tree moved it
            assert remove_tree(Path(second.root)), "once unmounted, the thrown-away slot goes"
            assert third is not None and third.root != second.root and third.alive()
            assert slots.thrown_away[-1] == [f"{Path(second.root) / 'box'} could not be emptied"]
    finally:
        slots.close()
    assert not list(Path(tempfile.gettempdir()).glob(f"{SLOT_PREFIX}{os.getpid()}.*"))
