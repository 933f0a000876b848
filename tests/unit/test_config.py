import stat
from concurrent.futures import ThreadPoolExecutor

from contest.config import _key_from_file


def test_the_generated_secret_key_is_private_and_shared_by_concurrent_starts(tmp_path):
    key_file = tmp_path / "var" / "secret_key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: _key_from_file(key_file), range(8)))
    assert len(keys) == 1 and len(keys.pop()) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
