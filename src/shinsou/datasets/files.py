"""Finding, verifying and downloading dataset files.

A dataset file ``<dataset>/<filename>`` is looked up in, in order: an explicit ``data_dir``,
``$SHINSOU_DATA``, then the user cache ``~/.cache/shinsou/datasets`` (``$XDG_CACHE_HOME`` is
respected). A file that is found must match its published MD5; a file found nowhere is
downloaded into the cache (or into ``data_dir`` if one was given) and verified before use.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
from pathlib import Path

__all__ = ["DatasetNotFoundError", "ChecksumError", "cache_dir", "search_dirs", "fetch", "md5sum"]

_TIMEOUT_S = 30
_CHUNK = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is on disk nowhere we looked and could not be downloaded."""


class ChecksumError(ValueError):
    """A dataset file exists but its MD5 differs from the published one (corrupt or partial)."""


def cache_dir() -> Path:
    """The per-user download folder: ``$XDG_CACHE_HOME/shinsou/datasets``, by default
    ``~/.cache/shinsou/datasets``."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "shinsou" / "datasets"


def _labelled_dirs(data_dir: str | os.PathLike | None) -> list[tuple[Path, str]]:
    # Each folder with where it came from, so error messages can say why it was searched.
    dirs = []
    if data_dir is not None:
        dirs.append((Path(data_dir).expanduser(), "data_dir argument"))
    if os.environ.get("SHINSOU_DATA"):
        dirs.append((Path(os.environ["SHINSOU_DATA"]).expanduser(), "$SHINSOU_DATA"))
    dirs.append((cache_dir(), "download cache"))
    unique, seen = [], set()
    for path, why in dirs:
        if path not in seen:
            seen.add(path)
            unique.append((path, why))
    return unique


def search_dirs(data_dir: str | os.PathLike | None = None) -> list[Path]:
    """The folders searched for dataset files, in order.

    Args:
        data_dir: an explicit folder, searched first.

    Returns:
        ``[data_dir, $SHINSOU_DATA, cache_dir()]``, leaving out the unset ones and duplicates.
        Each folder holds one subfolder per dataset (``mnist/``, ``fashion-mnist/``).

    >>> search_dirs("/data")[0] == Path("/data")
    True
    >>> search_dirs()[-1] == cache_dir()
    True
    """
    return [path for path, _ in _labelled_dirs(data_dir)]


def md5sum(path: str | os.PathLike) -> str:
    """The hex MD5 of a file, read in chunks so large files need little memory."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, md5: str, urls: list[str]) -> None:
    actual = md5sum(path)
    if actual != md5:
        source = " or ".join(urls) if urls else "the dataset's official site"
        raise ChecksumError(
            f"{path} is corrupt or incomplete: MD5 {actual}, expected {md5} "
            f"(size {path.stat().st_size:,} bytes). Delete it and rerun to download it again, "
            f"or copy a good copy from {source} into {path.parent}."
        )


def _download(url: str, target: Path, md5: str) -> None:
    """Stream ``url`` into a temp file next to ``target``, verify it, then move it into place."""
    # Open the URL first, so a failed attempt leaves no empty folders behind.
    with urllib.request.urlopen(url, timeout=_TIMEOUT_S) as resp:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=target.name + ".", suffix=".part", dir=target.parent)
        tmp = Path(name)
        try:
            with os.fdopen(fd, "wb") as out:
                length = resp.headers.get("Content-Length")
                bar = _progress_bar(
                    int(length) if length and length.isdigit() else None, target.name
                )
                try:
                    while chunk := resp.read(_CHUNK):
                        out.write(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
                finally:
                    if bar is not None:
                        bar.close()
            actual = md5sum(tmp)
            if actual != md5:
                raise ChecksumError(f"downloaded file has MD5 {actual}, expected {md5}")
            # Atomic: other processes see either no file or the whole verified file.
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)


def _progress_bar(total: int | None, name: str):
    try:
        from tqdm import tqdm  # optional dependency (the "progress" extra)
    except ImportError:
        return None
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name)


def fetch(
    dataset: str,
    filename: str,
    *,
    md5: str,
    urls: list[str],
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
) -> Path:
    """Find a dataset file on disk, or download it, and check its MD5.

    Args:
        dataset: the dataset's subfolder name, e.g. ``"mnist"``.
        filename: the file's name inside that subfolder.
        md5: the published hex MD5 of the file.
        urls: full URLs of the file, tried in turn when it is on disk nowhere.
        data_dir: an explicit folder, searched first and used as the download target.
        download: whether to download a file that is missing.

    Returns:
        The path of the verified file: the first ``<dir>/<dataset>/<filename>`` that exists,
        in ``search_dirs(data_dir)`` order, else the freshly downloaded one.

    Raises:
        ChecksumError: the first file found does not match ``md5`` (it is not skipped).
        DatasetNotFoundError: the file is nowhere and could not be downloaded.
    """
    dirs = _labelled_dirs(data_dir)
    for folder, _ in dirs:
        path = folder / dataset / filename
        if path.is_file():
            _verify(path, md5, urls)
            return path

    target_root = Path(data_dir).expanduser() if data_dir is not None else cache_dir()
    target = target_root / dataset / filename
    failures = []
    if download:
        for url in urls:
            try:
                _download(url, target, md5)
                return target
            # OSError covers URLError/HTTPError, timeouts and an unwritable cache;
            # ValueError covers bad URLs and ChecksumError.
            except (OSError, ValueError, http.client.HTTPException) as e:
                failures.append(f"  {url}: {e}")

    searched = "\n".join(f"  {folder / dataset} ({why})" for folder, why in dirs)
    if not download:
        tried = "  (none: download=False)"
    else:
        tried = "\n".join(failures) or "  (no URL known)"
    raise DatasetNotFoundError(
        f"{dataset} file {filename!r} was not found.\n"
        f"Searched:\n{searched}\nDownload attempts:\n{tried}\n"
        f"To fix: set SHINSOU_DATA (or pass data_dir=) to a folder that holds "
        f"{dataset}/{filename}, or download the file by hand into one of the folders above."
    )
