import stat
from concurrent.futures import ThreadPoolExecutor

from contest.config import _key_from_file


def test_the_generated_secret_key_is_private_and_shared_by_concurrent_starts(tmp_path):
    key_file = tmp_path / "var" / "secret_key"
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: _key_from_file(key_file), range(8)))
    assert len(keys) == 1 and len(keys.pop()) >= 40
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_public_address_follows_the_served_port_unless_set(monkeypatch, tmp_path):
    # From the throttled-phone walk: `make run PORT=8101` issued QR codes pointing at 8000.
    from contest.config import follow_served_address, get_settings

    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("CONTEST_BASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert follow_served_address("127.0.0.1", 8101) == "http://127.0.0.1:8101"
        assert get_settings().base_url == "http://127.0.0.1:8101"
        monkeypatch.delenv("CONTEST_BASE_URL")
        get_settings.cache_clear()
        assert follow_served_address("0.0.0.0", 8102) == "http://127.0.0.1:8102"
        monkeypatch.setenv("CONTEST_BASE_URL", "https://thi.example.gov.vn")
        get_settings.cache_clear()
        assert follow_served_address("127.0.0.1", 8103) == "https://thi.example.gov.vn"
        monkeypatch.delenv("CONTEST_BASE_URL")
        (tmp_path / ".env").write_text("CONTEST_BASE_URL=https://from-dotenv.example\n")
        get_settings.cache_clear()
        assert follow_served_address("127.0.0.1", 8104) == "https://from-dotenv.example"
    finally:
        get_settings.cache_clear()
