"""What can go wrong with an archive, sorted by what fixes it."""

from __future__ import annotations


class BackupError(Exception):
    """A backup or restore cannot go on; the message says why and what to do."""


class WrongPassphrase(BackupError):
    """The passphrase does not open this archive."""


class CorruptArchive(BackupError):
    """The archive was cut short or changed after it was written."""


class ChecksumMismatch(BackupError):
    """A member's content differs from the sha256 its manifest records."""


class TargetNotEmpty(BackupError):
    """The restore target already holds data (use --force to replace it)."""


class CountMismatch(BackupError):
    """What the restore put in place does not count as the manifest says."""
