"""The files that generated code is compiled from, so that every traceback shows its lines.

``traceback``, ``pdb`` and ``inspect`` read a generated line from ``linecache``, where
``load`` registers the source. The interpreter's own display of an uncaught exception does
not: up to Python 3.12 it is C code that reads the line from the file named by the code's
``co_filename``, and skips a name like ``<s2s_ad:f_grad:1>`` (3.13 calls ``traceback``
first). So each generated module is written to a file of its own, once, when it is built.

The files live in a directory that each process makes on first use (``s2s_ad-<pid>-...``
in the temporary directory) and removes at exit; a file goes when its code does (a
traceback keeps the code, not the function). A forked child makes its directory inside its
parent's, which is made before the fork, so the parent's exit removes it too; the
directory of a process killed by a signal (as ``Pool.terminate`` ends its workers) is
removed by the next process that makes one. Where nothing can be written, the name is
``<s2s_ad:f_grad:1>``, and only that display lacks the line.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import shutil
import tempfile
import weakref
from types import CodeType

_counter = itertools.count(1)
_made: tuple[int, str] | None = None  # (process id, its directory; "" if none could be made)
_PREFIX = "s2s_ad-"


def write(name: str, source: str) -> str:
    """The file name to compile ``source`` (of the function ``name``) under: a new file that
    holds it, or a name in brackets when none can be written."""
    number = next(_counter)
    directory = _directory()
    if directory:
        path = os.path.join(directory, f"{name}_{number}.py")
        try:
            with open(path, "x", encoding="utf-8") as file:
                file.write(source)
            return path
        except OSError:
            pass
    return f"<s2s_ad:{name}:{number}>"


def remove_with(code: CodeType, filename: str) -> None:
    """Remove the file ``filename`` that ``write`` made when ``code``, compiled from it, is
    gone (at exit the directory goes, with every file)."""
    if not filename.startswith("<"):
        weakref.finalize(code, _remove, filename, os.getpid()).atexit = False


def _directory() -> str:
    """This process's directory ("" when none can be made), made on first use."""
    global _made
    pid = os.getpid()
    if _made is None or _made[0] != pid:
        parent = _made[1] if _made is not None else ""
        if not parent:
            _remove_orphans()
        try:
            path = tempfile.mkdtemp(prefix=f"{_PREFIX}{pid}-", dir=parent or None)
        except OSError:
            path = ""
        else:
            atexit.register(_remove, path, pid)
        _made = (pid, path)
    return _made[1]


if hasattr(os, "register_at_fork"):  # a forked child's directory goes inside this one
    os.register_at_fork(before=_directory)


def _remove(path: str, pid: int) -> None:
    """Remove the file or directory ``path`` that process ``pid`` made, in that process
    only: a forked child inherits its parent's exit handlers and objects."""
    if os.getpid() != pid:
        return
    if os.path.isdir(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.remove(path)


def _remove_orphans() -> None:
    """Remove this user's directories of processes that ended without removing theirs."""
    if os.name != "posix":  # (only there does os.kill(pid, 0) just ask)
        return
    with contextlib.suppress(OSError), os.scandir(tempfile.gettempdir()) as entries:
        for entry in entries:
            pid = entry.name[len(_PREFIX):].partition("-")[0]
            if (entry.name.startswith(_PREFIX) and pid.isdigit() and not _alive(int(pid))
                    and entry.is_dir(follow_symlinks=False)
                    and entry.stat(follow_symlinks=False).st_uid == os.getuid()):
                shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (it exists, and is another user's)
        pass
    return True
