"""Writing a staged folder as one encrypted tar, and reading it back, checksums verified."""

from __future__ import annotations

import gzip
import os
import tarfile
from pathlib import Path

from backup.crypto import DecryptingReader, EncryptingWriter
from backup.errors import ChecksumMismatch, CorruptArchive
from backup.manifest import MANIFEST_NAME, Manifest, sha256_of
from backup.progress import Progress


def _members(staging: Path) -> list[str]:
    return sorted(
        path.relative_to(staging).as_posix() for path in staging.rglob("*") if path.is_file()
    )


def write_archive(
    staging: Path, manifest: Manifest, out: Path, passphrase: str, progress: Progress
) -> None:
    """Checksum every staged file into the manifest, then tar, gzip and encrypt to `out`.

    The archive appears under its name only when complete (written beside it, then renamed),
    readable by its owner only.
    """
    names = [name for name in _members(staging) if name != MANIFEST_NAME]
    with progress.step(f"checksumming {len(names)} files"):
        manifest.members = {name: sha256_of(staging / name) for name in names}
    (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    partial = out.with_name(f".{out.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with progress.step(f"encrypting the archive to {out}"), os.fdopen(fd, "wb") as sink:
            writer = EncryptingWriter(sink, passphrase)
            # gzip at level 1: most of the time goes to compressing, tarfile's stream mode uses 9.
            with (
                gzip.GzipFile(fileobj=writer, mode="wb", compresslevel=1) as packed,
                tarfile.open(fileobj=packed, mode="w|") as tar,
            ):
                tar.add(staging / MANIFEST_NAME, arcname=MANIFEST_NAME)
                for name in names:
                    tar.add(staging / name, arcname=name)
            writer.close()
            sink.flush()
            os.fsync(sink.fileno())
        partial.replace(out)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def read_archive(archive: Path, passphrase: str, into: Path, progress: Progress) -> Manifest:
    """Decrypt and unpack `archive` into the empty folder `into`; verify every checksum."""
    with progress.step(f"decrypting {archive}"), archive.open("rb") as source:
        reader = DecryptingReader(source, passphrase)
        try:
            with (
                gzip.GzipFile(fileobj=reader, mode="rb") as packed,
                tarfile.open(fileobj=packed, mode="r|") as tar,
            ):
                tar.extractall(into, filter="data")
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise CorruptArchive(f"the archive's content is not a readable tar: {exc}") from None
    manifest_path = into / MANIFEST_NAME
    if not manifest_path.is_file():
        raise CorruptArchive("the archive has no manifest.json")
    try:
        manifest = Manifest.from_json(manifest_path.read_text(encoding="utf-8"))
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptArchive(f"the archive's manifest is not readable: {exc!r}") from None
    with progress.step(f"verifying {len(manifest.members)} checksums"):
        verify_members(into, manifest)
    return manifest


def verify_members(folder: Path, manifest: Manifest) -> None:
    """Raise ChecksumMismatch unless the folder holds exactly the manifest's files, unchanged."""
    present = {name for name in _members(folder) if name != MANIFEST_NAME}
    missing = sorted(manifest.members.keys() - present)
    extra = sorted(present - manifest.members.keys())
    if missing or extra:
        raise ChecksumMismatch(f"members missing {missing} or not in the manifest {extra}")
    for name, expected in sorted(manifest.members.items()):
        if sha256_of(folder / name) != expected:
            raise ChecksumMismatch(f"{name}: its sha256 differs from the manifest's")
