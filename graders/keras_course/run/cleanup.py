"""Removing what a notebook made, whatever it made: trees a notebook built to resist removal.

A notebook writes into its run folder, and a slot's run folder serves one notebook after
another, so its cleaning must not be defeated: not by depth (Python 3.11's shutil.rmtree
recurses, and a tree 3,000 deep raises RecursionError; its paths pass PATH_MAX long before), not
by many files, not by odd names, not by modes such as chmod 000, and not by links.

remove_tree never recurses and never builds a long path: it works from file descriptors, and
moves each sub-folder up to the top of the tree before it empties it, so every folder it
empties is one level below the top and it holds at most two folders open at once. It follows
no link (a link is removed, not its target), stays on the tree's file system (a mount below it
is left alone and reported), and never raises: it says whether the tree is gone.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections import deque
from pathlib import Path

OPEN_DIR = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def remove_tree(path: Path, keep_top: bool = False) -> bool:
    """Remove path and all below it (only what is below it with keep_top); True when it is gone
    (or empty, with keep_top), False when something stayed (a mount, a file of another user)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return not keep_top
    except OSError:
        return False
    if not stat.S_ISDIR(info.st_mode):
        return not keep_top and _unlink(str(path), None)
    emptied = _empty(path, info.st_dev)
    if keep_top or not emptied:
        return emptied
    try:
        os.rmdir(path)
        return True
    except OSError:
        return False


def _unlink(name: str, dir_fd: int | None) -> bool:
    try:
        os.unlink(name, dir_fd=dir_fd)
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _open_dir(name: str, dir_fd: int | None) -> int | None:
    """A folder opened without following a link; made searchable first when its mode shut us out."""
    for attempt in range(2):
        try:
            return os.open(name, OPEN_DIR, dir_fd=dir_fd)
        except PermissionError:
            if attempt == 0 and not _let_in(name, dir_fd):
                return None
        except OSError:
            return None
    return None


def _let_in(name: str, dir_fd: int | None) -> bool:
    """chmod 0700 a folder (checked not to be a link) so that its owner may list and empty it."""
    try:
        if not stat.S_ISDIR(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
            return False
        os.chmod(name, 0o700, dir_fd=dir_fd)
        return True
    except OSError:
        return False


def _writable(fd: int) -> None:
    """Give the owner of the folder fd every right on it (root needs none)."""
    try:
        info = os.fstat(fd)
        if info.st_uid == os.geteuid() != 0 and info.st_mode & 0o700 != 0o700:
            os.fchmod(fd, stat.S_IMODE(info.st_mode) | 0o700)
    except OSError:
        pass


def _empty(top: Path, device: int) -> bool:
    """Empty the folder top: each sub-folder is moved up to top, then emptied, then removed."""
    top_fd = _open_dir(str(top), None)
    if top_fd is None:
        return False
    try:
        _writable(top_fd)  # a top folder of mode 0500 would keep its entries
        pending: deque[str] = deque()
        ok = _clear(top_fd, top_fd, device, pending)
        while pending:
            name = pending.popleft()
            ok = _clear_folder(top_fd, name, device, pending) and ok
        return ok
    finally:
        os.close(top_fd)


def _clear_folder(top_fd: int, name: str, device: int, pending: deque[str]) -> bool:
    """Empty and remove top's sub-folder name, its own sub-folders moved up into pending."""
    fd = _open_dir(name, top_fd)
    if fd is None:
        return False
    try:
        _writable(fd)
        ok = _clear(fd, top_fd, device, pending)
    finally:
        os.close(fd)
    try:
        os.rmdir(name, dir_fd=top_fd)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return ok


def _clear(fd: int, top_fd: int, device: int, pending: deque[str]) -> bool:
    """Unlink the non-folders in the folder fd; move its sub-folders up to top (pending)."""
    ok = True
    try:
        entries = list(os.scandir(fd))
    except OSError:
        return False
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        except OSError:
            ok = False
            continue
        if not stat.S_ISDIR(info.st_mode):
            ok = _unlink(entry.name, fd) and ok
        elif info.st_dev != device:
            ok = False  # a mount point: not ours to empty
        elif fd == top_fd:
            pending.append(entry.name)
        else:
            ok = _move_up(entry.name, fd, top_fd, pending) and ok
    return ok


def _move_up(name: str, fd: int, top_fd: int, pending: deque[str]) -> bool:
    """Move the folder name from fd to the top, under a fresh name, and queue it."""
    new = f".removing-{secrets.token_hex(8)}"
    for attempt in range(2):
        try:
            os.rename(name, new, src_dir_fd=fd, dst_dir_fd=top_fd)
            pending.append(new)
            return True
        except PermissionError:  # a folder moves only where its own mode lets '..' be rewritten
            if attempt == 0 and not _let_in(name, fd):
                return False
        except OSError:
            return False
    return False
