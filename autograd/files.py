"""Writing a file atomically: readers see the old file or the whole new one, never a part.

The content goes to a temporary file beside the target (same folder, so same file system),
is flushed to disk, and is then renamed over the target in one step. The temporary name stays
short whatever the target's, so every legal file name can be written, and errors name the
file the caller asked for, never the temporary one. Drawings and saved models both use it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

# How much of the target's name the temporary name repeats, to say where a leftover came from
# (4 bytes a character at most in UTF-8: far below the usual 255-byte limit on names).
_NAME_KEPT = 40


def write_atomically(path: str | os.PathLike[str], content: bytes) -> Path:
    """Replace the file at ``path`` with ``content``, whole or not at all; return the path.

    A new file gets the permissions any new file of the user's gets; a replaced file keeps its
    own; a symbolic link keeps pointing to the file, which is replaced. A folder, a missing
    folder, a device or any other failure is the usual ``OSError`` (or subclass), naming
    ``path``; nothing is left behind.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = write_atomically(Path(folder) / ("x" * 250 + ".txt"), b"ok")
    ...     target.read_bytes(), len(list(target.parent.iterdir()))
    (b'ok', 1)
    """
    if not isinstance(content, bytes):
        raise TypeError(f"content must be bytes, got {type(content).__name__}")
    path = Path(path)
    try:
        _replace(path, content)
        return path
    except OSError as error:
        # The same kind of error, about the file asked for rather than the temporary one.
        if error.errno is None:  # already about path
            raise
        raise type(error)(error.errno, error.strerror, str(path)) from None


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Raise the error ``write_atomically(path, ...)`` would raise for where ``path`` is.

    For a command line, which checks its output file before it starts the work.

    >>> check_writable("no/such/folder/x.svg")
    Traceback (most recent call last):
    ...
    FileNotFoundError: cannot write 'no/such/folder/x.svg': there is no folder 'no/such/folder'
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {str(path)!r}: it is a folder; give a file name")
    if path.exists() and not path.is_file():
        # Renaming over /dev/null or a pipe would replace it with a plain file.
        raise OSError(f"cannot write {str(path)!r}: it is a device, a pipe or a socket")
    folder = str(path.parent)
    if path.parent.exists() and not path.parent.is_dir():
        raise NotADirectoryError(f"cannot write {str(path)!r}: {folder!r} is a file, not a folder")
    if not path.parent.exists():
        raise FileNotFoundError(f"cannot write {str(path)!r}: there is no folder {folder!r}")
    return path


def _replace(path: Path, content: bytes) -> None:
    check_writable(path)
    path = Path(os.path.realpath(path))  # write what a link points to, and keep the link
    folder = path.parent
    temporary = folder / f".{path.name[:_NAME_KEPT]}.{secrets.token_hex(8)}.tmp"
    # O_EXCL: never write through a file already there; 0o666 less the umask: what any new
    # file of the user's gets (tempfile.mkstemp would make it private).
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        if path.exists():
            os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
