"""Reading a template bundle's files: a gzipped tar (B-6 step 2), a directory (`openproton render`), and the
bundle's root (step 3).

Bundles are untrusted (P-25). Nothing is extracted to disk: entries are read into memory as they stream past,
so no entry can escape anywhere and no link can leave. Every limit is checked while reading, before the bytes
that would break it are decompressed: the decompressed stream itself is capped, so a gzip bomb (or one huge
pax header, which tarfile reads whole) stops at the cap, not at the end of memory.
"""

from __future__ import annotations

import gzip  # pack() writes the archives it keeps
import io
import os
import posixpath
import tarfile
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path

from .model import BundleInvalid

MB = 2**20  # B-6: AWS's limits, MB = 2^20 bytes
MAX_ARCHIVE_BYTES = 5 * MB
MAX_UNPACKED_BYTES = 50 * MB
MAX_ENTRIES = 1000
# What a tar stream may hold beyond its files' contents: a 512-byte header per entry (two with a long name or
# pax data) and padding to 512 bytes per file; past this much decompressed data the limits cannot hold.
_STREAM_OVERHEAD = MAX_ENTRIES * 3 * 512 + 2 * MB

SCHEMA_PATH = "schema/schema.yaml"

TOO_LARGE = "Template bundle is larger than 5 MB"
NOT_AN_ARCHIVE = "Template bundle is not a valid gzipped tar archive"
EXPANDS = "Template bundle expands beyond 50 MB or 1000 entries"
MISSING_SCHEMA = "Template bundle is missing schema/schema.yaml"


def not_allowed(name: str) -> BundleInvalid:
    # A name that is not UTF-8 is shown with its undecodable bytes replaced, never raw.
    shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return BundleInvalid(f"Template bundle contains an entry that is not allowed: {shown}")


class _Expanded(Exception):
    """The decompressed stream passed the cap."""


def _gunzip(data: bytes, cap: int) -> bytes:
    """The decompressed bytes of every gzip member of `data`, or _Expanded once more than `cap` would come out.

    zlib stops at `cap` itself (max_length), so a bomb costs `cap` bytes of memory and no more; one call per
    member, in C, rather than a Python read loop over the stream."""
    out: list[bytes] = []
    left = cap
    rest = data
    while rest:
        member = zlib.decompressobj(wbits=31)  # 31: a gzip header and trailer
        out.append(member.decompress(rest, left))
        left -= len(out[-1])
        if member.unconsumed_tail:
            raise _Expanded
        if not member.eof:
            raise zlib.error("truncated")
        rest = member.unused_data
        if rest.strip(b"\0") == b"":
            break  # trailing padding after the last member, as some tools write
    return b"".join(out)


def read_archive(data: bytes) -> dict[str, bytes]:
    """The files of a gzipped tar bundle, by normalised relative path; BundleInvalid with B-6 step 2's message."""
    if len(data) > MAX_ARCHIVE_BYTES:
        raise BundleInvalid(TOO_LARGE)
    if data[:2] != b"\x1f\x8b":
        raise BundleInvalid(NOT_AN_ARCHIVE)
    try:
        tar = _gunzip(data, MAX_UNPACKED_BYTES + _STREAM_OVERHEAD)
        with tarfile.open(fileobj=io.BytesIO(tar), mode="r:") as archive:
            return _read_members(archive)
    except _Expanded:
        raise BundleInvalid(EXPANDS) from None
    except (tarfile.TarError, OSError, EOFError, zlib.error, UnicodeError, ValueError):
        # Not gzip, a truncated stream, a corrupt header: tarfile and zlib raise any of these.
        raise BundleInvalid(NOT_AN_ARCHIVE) from None


def _read_members(archive: tarfile.TarFile) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    links: list[tuple[str, str]] = []  # (entry, the archive path it stands for)
    entries = unpacked = 0
    for member in archive:
        entries += 1
        if entries > MAX_ENTRIES:
            raise BundleInvalid(EXPANDS)
        name = _checked_name(member)
        if member.isdir():
            continue
        if member.issym() or member.islnk():
            links.append((name, _link_target(member, name)))
            continue
        unpacked += member.size
        if unpacked > MAX_UNPACKED_BYTES:
            raise BundleInvalid(EXPANDS)
        extracted = archive.extractfile(member)
        files[name] = extracted.read() if extracted is not None else b""
    for name, target in links:
        # [decided] P-25: a link is the file it names inside the bundle (tarfile's data filter lets such links
        # through); a link to a directory, to another link or to nothing is refused like a link that leaves.
        if target not in files:
            raise not_allowed(name)
        unpacked += len(files[target])
        if unpacked > MAX_UNPACKED_BYTES:
            raise BundleInvalid(EXPANDS)
        files[name] = files[target]
    return files


def _checked_name(member: tarfile.TarInfo) -> str:
    """The entry's normalised path, or not_allowed: B-6 step 2's `data` filter, and UTF-8 names."""
    try:
        member.name.encode("utf-8")
    except UnicodeEncodeError:
        raise not_allowed(member.name) from None
    try:
        # The destination is a name only: nothing is extracted, the filter judges the entry.
        filtered = tarfile.data_filter(member, "/bundle")
    except tarfile.FilterError:
        raise not_allowed(member.name) from None
    # The data filter strips a leading `/` and lets the entry through; an absolute name in a bundle is a
    # mistake or an attack either way, so it is refused like the rest.
    if filtered.name != member.name or member.name.startswith("/"):
        raise not_allowed(member.name)
    name = posixpath.normpath(member.name)
    if name in (".", "") and member.isdir():
        return name
    if (
        name.startswith("../")
        or name == ".."
        or not (member.isfile() or member.isdir() or member.issym() or member.islnk())
    ):
        raise not_allowed(member.name)
    return name


def _link_target(member: tarfile.TarInfo, name: str) -> str:
    if member.islnk():  # a hard link names an archive path
        return posixpath.normpath(member.linkname)
    return posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))


def read_directory(root: str | os.PathLike[str]) -> dict[str, bytes]:
    """The files of a bundle directory (`openproton render DIR`), with the archive's limits and link rule."""
    base = Path(root).resolve()
    files: dict[str, bytes] = {}
    entries = unpacked = 0
    for path in _walk(base):
        entries += 1
        if entries > MAX_ENTRIES:
            raise BundleInvalid(EXPANDS)
        name = path.relative_to(base).as_posix()
        real = path.resolve()
        if path.is_symlink() and (not real.is_file() or base not in real.parents):
            raise not_allowed(name)
        if path.is_dir():
            continue
        if not real.is_file():
            raise not_allowed(name)  # a device, a socket, a pipe
        unpacked += real.stat().st_size
        if unpacked > MAX_UNPACKED_BYTES:
            raise BundleInvalid(EXPANDS)
        files[name] = real.read_bytes()
    return files


def _walk(base: Path) -> Iterator[Path]:
    for directory, subdirectories, names in os.walk(base):  # os.walk does not follow links to directories
        subdirectories.sort()
        here = Path(directory)
        for name in sorted(names) + [d for d in subdirectories if (here / d).is_symlink()]:
            yield here / name
        for name in subdirectories:
            if not (here / name).is_symlink():
                yield here / name


def bundle_root(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """B-6 step 3: the files under the bundle's root, by their path from it."""
    if SCHEMA_PATH in files:
        return dict(files)
    tops = {name.split("/", 1)[0] for name in files}
    if len(tops) == 1:
        (top,) = tops
        prefix = f"{top}/"
        if f"{prefix}{SCHEMA_PATH}" in files:
            return {name[len(prefix) :]: content for name, content in files.items() if name.startswith(prefix)}
    raise BundleInvalid(MISSING_SCHEMA)


def pack(files: Mapping[str, bytes]) -> bytes:
    """A deterministic gzipped tar of `files` (sorted, no times, no owners): how a bundle that did not arrive as
    an archive (template sync's files, B-4) is kept, so every version stores its bundle one way."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(files[name]))
    return buffer.getvalue()
