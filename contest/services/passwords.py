"""argon2id hashing with the configured cost, bounded so a login burst queues, not swaps."""

from __future__ import annotations

import gzip
import threading
from functools import lru_cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from contest.config import get_settings


@lru_cache
def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(
        time_cost=s.argon2_time_cost,
        memory_cost=s.argon2_memory_kib,
        parallelism=s.argon2_parallelism,
    )


@lru_cache
def _slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(get_settings().max_concurrent_hashes)


def hash_password(password: str) -> str:
    with _slots():
        return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists (a dummy hash stands in)."""
    with _slots():
        try:
            return (
                _hasher().verify(password_hash or _dummy_hash(), password)
                and password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-password")


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@lru_cache
def _common_passwords() -> frozenset[str]:
    """The vendored list of breached passwords (contest/data/README.md), read once."""
    data = files("contest").joinpath("data/common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode("utf-8").split())


def is_common(lowered_password: str) -> bool:
    return lowered_password in _common_passwords()
