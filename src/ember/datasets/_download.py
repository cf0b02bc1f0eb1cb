"""Downloading dataset files: mirrors, resumable transfers, checksums, atomic placement.

    from ember.datasets._download import cache_dir, download_url
    path = download_url(["https://mirror-a/x.gz", "https://mirror-b/x.gz"], cache_dir() / "MNIST" / "x.gz",
                        md5="f68b3c2dcbeaaa9fbdd348bbdeb94873")

``download_url`` tries the URLs in order. Bytes go to ``<dest>.part``; a transfer that breaks off is resumed
with an HTTP ``Range`` request (also across runs: a ``.part`` left by an earlier run is continued). The file is
checked (sha256, sha1 or md5, whichever the caller gives) before it is renamed into place, so ``dest`` either
does not exist or holds the verified file. A bad checksum deletes the downloaded bytes. When every URL fails the
``RuntimeError`` lists each URL with its failure and the exact path where the file can be placed by hand.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["cache_dir", "download_url", "check_integrity", "file_digest", "checksum_kwargs"]

CHUNK = 1 << 16
RETRIES_PER_URL = 3          # a transfer that breaks off is resumed this many times before the next mirror
TIMEOUT = 30.0               # seconds without data before a connection counts as dead
USER_AGENT = "ember-datasets/0.1"


def cache_dir() -> Path:
    """The root folder for downloaded datasets: ``$EMBER_HOME`` if set, else ``~/.cache/ember``."""
    home = os.environ.get("EMBER_HOME")
    return Path(home).expanduser() if home else Path.home() / ".cache" / "ember"


def file_digest(path, algorithm: str) -> str:
    """Hex digest of a file's bytes (``algorithm``: "sha256", "sha1" or "md5")."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256"}


def checksum_kwargs(checksum: str | None) -> dict:
    """``{"md5": ...}``, ``{"sha1": ...}`` or ``{"sha256": ...}`` for a bare hex digest (told apart by length),
    as datasets publish them (torchvision's tables are md5, d2l's sha1)."""
    if checksum is None:
        return {}
    try:
        return {_BY_LENGTH[len(checksum)]: checksum.lower()}
    except KeyError:
        raise ValueError(f"checksum_kwargs(): {checksum!r} is not an md5, sha1 or sha256 hex digest") from None


def _expected(sha256=None, sha1=None, md5=None):
    """The strongest checksum given, as (algorithm, hex digest), or None."""
    for name, value in (("sha256", sha256), ("sha1", sha1), ("md5", md5)):
        if value:
            return name, value.lower()
    return None


def check_integrity(path, sha256: str | None = None, *, sha1: str | None = None, md5: str | None = None) -> bool:
    """True if ``path`` is a file and matches the checksum given (any file counts when none is given)."""
    path = Path(path)
    if not path.is_file():
        return False
    expected = _expected(sha256, sha1, md5)
    return expected is None or file_digest(path, expected[0]) == expected[1]


class _Progress:
    """A tqdm bar when tqdm is installed, else a line on stderr every 10%."""

    def __init__(self, total, start, name, enabled):
        self.bar = None
        self.enabled = enabled
        self.total, self.done, self.name, self.shown = total, start, name, -1
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, initial=start, unit="B", unit_scale=True, unit_divisor=1024, desc=name,
                        leave=False)

    def update(self, n):
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
        elif self.enabled and self.total:
            tenth = 10 * self.done // self.total
            if tenth != self.shown:
                self.shown = tenth
                print(f"{self.name}: {100 * self.done // self.total}% of {self.total:,} B", file=sys.stderr)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _fetch(url: str, part: Path, progress: bool, timeout: float) -> None:
    """Append the rest of ``url`` to ``part`` (resuming with a Range request when ``part`` has bytes).

    Returns when the server has sent the whole body; raises ``OSError`` when the transfer stops short."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:        # nothing left to send: the .part already holds the whole file
            e.close()
            return
        raise
    with response:
        if have and response.status != 206:   # the server ignored the Range header: start over
            have = 0
        length = response.headers.get("Content-Length")
        total = have + int(length) if length is not None else None
        bar = _Progress(total, have, part.name[:-len(".part")], progress)
        try:
            with open(part, "ab" if have else "wb") as f:
                while True:
                    chunk = response.read(CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    bar.update(len(chunk))
        finally:
            bar.close()
    size = part.stat().st_size
    if total is not None and size < total:
        raise OSError(f"transfer stopped after {size:,} of {total:,} bytes")


def download_url(url_or_mirrors, dest_path, sha256: str | None = None, progress: bool = True, *,
                 sha1: str | None = None, md5: str | None = None, timeout: float = TIMEOUT) -> Path:
    """Download a file to ``dest_path`` and return that path.

    ``url_or_mirrors``: one URL or a list of mirror URLs of the same file, tried in order. ``sha256`` (or ``sha1``
    / ``md5`` where that is all upstream publishes) is checked before the file is moved into place. A verified
    file already at ``dest_path`` is returned without touching the network.
    """
    urls = [url_or_mirrors] if isinstance(url_or_mirrors, (str, os.PathLike)) else list(url_or_mirrors)
    urls = [str(u) for u in urls]
    if not urls:
        raise ValueError("download_url(): url_or_mirrors is empty")
    dest = Path(dest_path)
    expected = _expected(sha256, sha1, md5)
    if check_integrity(dest, sha256, sha1=sha1, md5=md5):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    failures = []
    for url in urls:
        error = None
        for _ in range(RETRIES_PER_URL):
            try:
                _fetch(url, part, progress, timeout)
                error = None
                break
            except urllib.error.HTTPError as e:        # a server's answer: retrying the same URL will not help
                e.close()
                error = f"HTTP Error {e.code}: {e.reason}"
                break
            except urllib.error.URLError as e:          # refused, unreachable, no DNS: offline
                error = f"unreachable ({e.reason})"
                break
            except (OSError, http.client.HTTPException) as e:   # broken off mid-transfer: resume from the .part
                error = str(e) or type(e).__name__
        if error is not None:
            failures.append((url, error))
            continue
        if expected is not None:
            got = file_digest(part, expected[0])
            if got != expected[1]:
                part.unlink()
                failures.append((url, f"{expected[0]} checksum mismatch: expected {expected[1]}, got {got}; "
                                      f"the downloaded file was deleted"))
                continue
        os.replace(part, dest)
        return dest
    raise RuntimeError(_failure_message(dest, failures, expected))


def _failure_message(dest: Path, failures, expected) -> str:
    tried = "\n".join(f"  {url}: {why}" for url, why in failures)
    what = (f"checksum mismatch for {dest.name}" if all("checksum" in why for _, why in failures)
            else f"could not download {dest.name}")
    check = f" ({expected[0]} {expected[1]})" if expected else ""
    return (f"download_url(): {what}. Tried:\n{tried}\n"
            f"If this machine is offline, download the file by hand from one of these URLs on a machine with "
            f"network access and place it at {dest}{check}.")
