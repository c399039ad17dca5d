"""Paths and folders: readable-file checks, atomic file and folder writes, hashes."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from uplift_lab.errors import input_error, usage_error


def _check_readable(path: Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise input_error(path, "file not found", "Check the path")
    if path.is_dir():
        raise input_error(path, "is a folder, not a file", "Pass a .csv or .parquet file")
    if path.stat().st_size == 0:
        raise input_error(path, "file is empty", "Pass a file with a header row and data")
    return path


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``, else delete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    tmp = Path(tmp_name)
    os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; outputs follow the umask
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(text: str, path: Path) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(data: bytes, path: Path) -> Path:
    """Write bytes atomically."""
    with atomic_path(Path(path)) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def refuse_existing_folder(
    path: Path,
    *,
    force: bool = False,
    own_files: Callable[[Path], bool] | None = None,
    inputs: Sequence[Path | None] = (),
) -> None:
    """Refuse an output folder that is a file, that holds the working directory or one of the
    command's ``inputs`` (replacing it would delete them: refused even with ``force``), or that
    exists with files in it unless ``force`` or every entry is one the command itself writes
    (``own_files``: a report folder written again). Commands call it before any work;
    :func:`atomic_directory` checks again."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise usage_error(path, "exists and is not a folder", "Choose another {out}")
    if not path.exists():
        return
    folder = path.resolve()
    if folder == Path.cwd().resolve() or folder in Path.cwd().resolve().parents:
        raise usage_error(
            path, "is the folder you are working in (or holds it)", "Choose a new folder for {out}"
        )
    for given in [Path(item) for item in inputs if item is not None]:
        if given.resolve() == folder or folder in given.resolve().parents:
            raise usage_error(
                path,
                f"holds the input {given}, which writing there would delete",
                "Choose another {out}",
            )
    strange = [entry.name for entry in path.iterdir() if not (own_files and own_files(entry))]
    if not strange or force:
        return
    raise usage_error(
        path,
        f"already exists and is not empty (it holds {strange[0]!r})",
        "Use {force} to replace it, or another {out}",
    )


@contextlib.contextmanager
def atomic_directory(
    path: Path, *, force: bool = False, own_files: Callable[[Path], bool] | None = None
) -> Iterator[Path]:
    """Build a folder in a temporary sibling and move it into place only when all of it is written.

    An existing non-empty folder is refused unless ``force`` (or all of it is ``own_files``, see
    :func:`refuse_existing_folder`); it is replaced only after the new one is complete, so a
    failed run leaves the old folder untouched.
    """
    path = Path(path)
    refuse_existing_folder(path, force=force, own_files=own_files)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    os.chmod(staging, 0o777 & ~_current_umask())  # mkdtemp makes 0700
    try:
        yield staging
        if path.exists():
            retired = Path(
                tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent)
            )
            os.replace(path, retired / path.name)
            os.replace(staging, path)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, path)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


# --- Streaming (added for `score`: tables larger than memory, read and written in batches) ---


def read_bytes(path: Path) -> bytes:
    """A file's bytes, as they are (an empty file gives b"")."""
    return Path(path).read_bytes()
