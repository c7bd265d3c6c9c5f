"""The archive's encryption: a passphrase, scrypt, then AES-256-GCM over numbered chunks.

Layout: a header (magic, scrypt salt and cost, chunk size, nonce prefix, key check), then
chunks, each `length (4 bytes) | ciphertext+tag`. A chunk's nonce is the prefix, its index
and a last-chunk flag, and the header is every chunk's associated data, so reordered,
dropped, appended or cut chunks fail authentication (the STREAM construction). The key check
(an HMAC of the header under a second derived key) tells a wrong passphrase apart from a
damaged file.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
import struct
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from backup.errors import CorruptArchive, WrongPassphrase

MAGIC = b"CPBACKUP\x01"
CHUNK_SIZE = 1024 * 1024
MAX_CHUNK_SIZE = 64 * CHUNK_SIZE  # what a reader accepts from a header
SCRYPT_LOG2_N = 17  # 128 MiB and about half a second: OWASP's scrypt floor
SCRYPT_R = 8
SCRYPT_P = 1
_FIXED = struct.Struct(">16sBBBI7s")  # salt, log2 n, r, p, chunk size, nonce prefix
_LENGTH = struct.Struct(">I")
_TAG = 16
MIN_PASSPHRASE = 12


@dataclass(frozen=True)
class _Keys:
    cipher: AESGCM
    check: bytes


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> _Keys:
    if not 10 <= log2_n <= 22 or not 1 <= r <= 32 or not 1 <= p <= 16:
        raise CorruptArchive("the archive header has impossible scrypt parameters")
    material = Scrypt(salt=salt, length=64, n=2**log2_n, r=r, p=p).derive(passphrase.encode())
    return _Keys(AESGCM(material[:32]), material[32:])


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


class EncryptingWriter:
    """A write-only file object: what is written lands encrypted in `sink`."""

    def __init__(self, sink: BinaryIO, passphrase: str) -> None:
        if len(passphrase) < MIN_PASSPHRASE:
            raise ValueError(f"the passphrase must have at least {MIN_PASSPHRASE} characters")
        salt, prefix = os.urandom(16), os.urandom(7)
        log2_n = SCRYPT_LOG2_N  # read at each call: the fast tests lower it
        self._keys = _derive(passphrase, salt, log2_n, SCRYPT_R, SCRYPT_P)
        fixed = MAGIC + _FIXED.pack(salt, log2_n, SCRYPT_R, SCRYPT_P, CHUNK_SIZE, prefix)
        self._header = fixed + hmac.digest(self._keys.check, fixed, hashlib.sha256)
        self._prefix = prefix
        self._sink = sink
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        sink.write(self._header)

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK_SIZE:
            self._emit(bytes(self._buffer[:CHUNK_SIZE]), last=False)
            del self._buffer[:CHUNK_SIZE]
        return len(data)

    def flush(self) -> None:
        """Nothing to do: chunks are sealed whole, `close` seals the rest."""

    def close(self) -> None:
        """Write the last chunk (possibly empty); the sink stays open."""
        if not self._closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._closed = True

    def _emit(self, plain: bytes, last: bool) -> None:
        nonce = _nonce(self._prefix, self._index, last)
        sealed = self._keys.cipher.encrypt(nonce, plain, self._header)
        self._sink.write(_LENGTH.pack(len(sealed)) + sealed)
        self._index += 1


class DecryptingReader:
    """A read-only file object over an encrypted archive; raises on any tampering."""

    def __init__(self, source: BinaryIO, passphrase: str) -> None:
        fixed = source.read(len(MAGIC) + _FIXED.size)
        if not fixed.startswith(MAGIC) or len(fixed) < len(MAGIC) + _FIXED.size:
            raise CorruptArchive("this is not a Crypto-Pilot backup archive (bad header)")
        salt, log2_n, r, p, chunk_size, prefix = _FIXED.unpack(fixed[len(MAGIC) :])
        if not 0 < chunk_size <= MAX_CHUNK_SIZE:
            raise CorruptArchive("the archive header has an impossible chunk size")
        check = source.read(32)
        self._keys = _derive(passphrase, salt, log2_n, r, p)
        if not hmac.compare_digest(check, hmac.digest(self._keys.check, fixed, hashlib.sha256)):
            raise WrongPassphrase("wrong passphrase: it does not open this archive")
        self._header = fixed + check
        self._prefix = prefix
        self._max_sealed = chunk_size + _TAG
        self._source = source
        self._index = 0
        self._pending = self._read_sealed()
        self._plain = b""
        self._offset = 0  # how much of `_plain` was handed out
        self._done = False

    def _read_sealed(self) -> bytes | None:
        raw = self._source.read(_LENGTH.size)
        if not raw:
            return None
        if len(raw) < _LENGTH.size:
            raise CorruptArchive("the archive is cut short")
        (length,) = _LENGTH.unpack(raw)
        if not _TAG <= length <= self._max_sealed:
            raise CorruptArchive("a chunk of the archive has an impossible length")
        sealed = self._source.read(length)
        if len(sealed) < length:
            raise CorruptArchive("the archive is cut short")
        return sealed

    def _next_chunk(self) -> bytes:
        sealed = self._pending
        if sealed is None:
            raise CorruptArchive("the archive is cut short (its last chunk is missing)")
        self._pending = self._read_sealed()
        last = self._pending is None
        try:
            plain = self._keys.cipher.decrypt(
                _nonce(self._prefix, self._index, last), sealed, self._header
            )
        except InvalidTag:
            raise CorruptArchive(
                f"chunk {self._index} of the archive fails authentication: it was changed,"
                " reordered or cut"
            ) from None
        self._index += 1
        self._done = last
        return plain

    def seek(self, offset: int, /) -> int:
        raise io.UnsupportedOperation("an encrypted archive is read front to back")

    def read(self, size: int = -1, /) -> bytes:
        parts = []
        wanted = size
        while wanted != 0:
            if self._offset == len(self._plain):
                if self._done:
                    break
                self._plain, self._offset = self._next_chunk(), 0
                continue
            end = len(self._plain) if wanted < 0 else min(len(self._plain), self._offset + wanted)
            parts.append(self._plain[self._offset : end])
            if wanted > 0:
                wanted -= end - self._offset
            self._offset = end
        return b"".join(parts)
