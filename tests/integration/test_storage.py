"""The database file store, on SQLite and PostgreSQL: chunks in, the same bytes out, one chunk
at a time; replace, delete, and sweep by age."""

import os
from datetime import timedelta

from contest import clock, storage


def test_a_file_larger_than_a_chunk_comes_back_byte_for_byte_a_chunk_at_a_time(db):
    store = storage.get_store()
    data = os.urandom(storage.CHUNK_BYTES * 2 + 12345)
    pieces = [data[i : i + 70_000] for i in range(0, len(data), 70_000)]
    info = store.put(db, "test/big.bin", pieces, "application/octet-stream")
    db.commit()
    assert (info.size, info.chunks, info.content_type) == (len(data), 3, "application/octet-stream")
    chunks = list(store.read(db, "test/big.bin"))
    assert [len(c) for c in chunks] == [storage.CHUNK_BYTES, storage.CHUNK_BYTES, 12345]
    assert b"".join(chunks) == data


def test_put_replaces_and_delete_removes(db):
    store = storage.get_store()
    store.put(db, "test/a", [b"first version, longer"])
    store.put(db, "test/a", [b"second"])
    assert store.read_bytes(db, "test/a") == b"second" and store.info(db, "test/a").size == 6
    store.delete(db, "test/a")
    assert store.info(db, "test/a") is None and list(store.read(db, "test/a")) == []
    store.put(db, "test/empty", [])
    assert store.info(db, "test/empty").size == 0 and store.read_bytes(db, "test/empty") == b""


def test_delete_older_takes_only_old_files_under_the_prefix(db):
    store = storage.get_store()
    store.put(db, "staged/x/0", [b"old"])
    store.put(db, "works/1/keep", [b"other prefix"])
    clock.shift(timedelta(hours=2))
    store.put(db, "staged/y/0", [b"new"])
    assert store.delete_older(db, "staged/", clock.now() - timedelta(hours=1)) == 1
    assert store.info(db, "staged/x/0") is None
    assert store.info(db, "staged/y/0") is not None and store.info(db, "works/1/keep") is not None
    # A prefix is literal: "_" and "%" are not wildcards.
    store.put(db, "stag%d/z", [b"z"])
    assert store.delete_older(db, "stag%", clock.now() + timedelta(1)) == 1
    assert store.info(db, "staged/y/0") is not None


def test_rechunk_cuts_any_pieces_into_even_chunks():
    assert list(storage.rechunk([b"abc", b"defgh", b"i"], 4)) == [b"abcd", b"efgh", b"i"]
    assert list(storage.rechunk([], 4)) == []


def test_only_the_database_store_is_offered():
    import pytest

    from contest.config import get_settings

    settings = get_settings()
    old = settings.storage_url
    try:
        settings.storage_url = "s3://bucket"
        with pytest.raises(ValueError, match="only 'database'"):
            storage.get_store()
    finally:
        settings.storage_url = old
