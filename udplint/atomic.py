"""Replacing a file's contents atomically, and only when that is safe: `--fix` and `--write-baseline`.

The new contents go to a temporary file in the same folder, are flushed to disk, get the old
file's mode and owner, and then take the old file's place with one rename: a reader (or a crash)
sees the old file or the new one, never half of one. On Linux the temporary file is anonymous
(O_TMPFILE) until it is complete, so even a SIGKILL during the write leaves nothing behind; only
the instant between naming it and the rename can leave a `.NAME.*.udplint-tmp` file.

What is never written, with the reason (WriteRefused):
- anything but a regular file: a device (`--write-baseline /dev/full`), a FIFO, a socket, a folder;
- a read-only file (no write permission bit, or not writable by this user), even as root;
- a file with more than one hard link: a rename would detach this name from the others, and an
  in-place write is not atomic, so udplint refuses and says so;
- a file whose owner or group this process cannot give to the replacement (root keeps both).

Symbolic links are written through: the file the link points to is replaced and the link stays.
"""
from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Optional

from .sources import describe_file_type

TEMP_SUFFIX = ".udplint-tmp"


class WriteRefused(Exception):
    """The file was left alone; the message says why, in one line."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _check_replaceable(target: str) -> Optional[os.stat_result]:
    """The stat of the existing file `target` (None when it does not exist yet), if it may be replaced."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise WriteRefused(error.strerror or str(error)) from None
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused(f"{describe_file_type(info.st_mode)}, not a regular file; not replaced")
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise WriteRefused("the file is read-only; not rewritten (make it writable to apply the change)")
    if info.st_nlink > 1:
        raise WriteRefused(f"the file has {info.st_nlink} hard links; rewriting it would break them, "
                           "so it is left alone")
    return info


def _open_temporary(folder: str, name: str):
    """(descriptor, name or None): an anonymous O_TMPFILE where the system has it, else a named one."""
    if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):  # both are needed to name it later
        try:
            return os.open(folder, os.O_TMPFILE | os.O_WRONLY | os.O_CLOEXEC, 0o600), None
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT):
                raise
    return tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=folder)


def _match_metadata(descriptor: int, old: Optional[os.stat_result]) -> None:
    if old is None:
        os.fchmod(descriptor, 0o666 & ~_umask())  # a new file gets what open() would have given it
        return
    os.fchmod(descriptor, stat.S_IMODE(old.st_mode))
    mine = os.fstat(descriptor)
    if (mine.st_uid, mine.st_gid) != (old.st_uid, old.st_gid):
        try:
            os.fchown(descriptor, old.st_uid, old.st_gid)
        except PermissionError:
            raise WriteRefused(f"the file belongs to uid {old.st_uid} / gid {old.st_gid}, which this user "
                               "cannot give to the rewritten file; not rewritten") from None
        os.fchmod(descriptor, stat.S_IMODE(old.st_mode))  # chown clears set-id bits: restore them


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        view = view[written:]
    os.fsync(descriptor)


def _name_it(descriptor: int, temp_name: Optional[str], folder: str, name: str) -> str:
    """Give an anonymous temporary file a name in `folder` (a named one already has one)."""
    if temp_name is not None:
        return temp_name
    # linkat(AT_SYMLINK_FOLLOW) on /proc/self/fd/N names an O_TMPFILE file; os.link only passes
    # that flag to linkat when given a directory descriptor, hence the descriptor of /proc/self/fd.
    descriptors = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for _ in range(100):
            candidate = os.path.join(folder, f".{name}.{os.urandom(6).hex()}{TEMP_SUFFIX}")
            try:
                os.link(str(descriptor), candidate, src_dir_fd=descriptors, follow_symlinks=True)
                return candidate
            except FileExistsError:
                continue
    finally:
        os.close(descriptors)
    raise WriteRefused("cannot name a temporary file")


def _sync_folder(folder: str) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return  # durability of the rename is a bonus; the data itself is already on disk
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems refuse fsync on a folder; the rename has happened either way
    finally:
        os.close(handle)


def replace_file(path: Path, data: bytes) -> Path:
    """Atomically give `path` (or the file its symlink names) the contents `data`.

    Returns the file actually written. Raises WriteRefused (file untouched, temporary removed)
    when the file must not be replaced, and OSError when writing failed (same guarantees).
    """
    target = os.path.realpath(path)  # symlinks are written through
    folder, name = os.path.split(target)
    old = _check_replaceable(target)
    descriptor, temp_name = _open_temporary(folder, name)
    try:
        _write_all(descriptor, data)
        _match_metadata(descriptor, old)
        temp_name = _name_it(descriptor, temp_name, folder, name)
        now = _check_replaceable(target)  # the name may have been swapped while we wrote
        if now is not None and (old is None or (now.st_dev, now.st_ino) != (old.st_dev, old.st_ino)):
            raise WriteRefused("the file was replaced while it was being written; left alone")
        os.replace(temp_name, target)
        temp_name = None
    finally:
        os.close(descriptor)
        if temp_name is not None:
            try:
                os.unlink(temp_name)
            except FileNotFoundError:
                pass  # already gone: nothing left behind
    _sync_folder(folder)
    return Path(target)
