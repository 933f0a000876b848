from pathlib import Path

import pytest

# The Moodle fixtures live beside the repository, in the shared conformance folder.
MOODLE_FIXTURES = Path(__file__).resolve().parents[3].parent / "shared" / "conformance" / "moodle"


@pytest.fixture
def moodle_fixture():
    def read(name: str) -> bytes:
        path = MOODLE_FIXTURES / name
        if not path.is_file():
            pytest.skip(
                f"Moodle conformance fixture {path} is absent (expected in ../shared/conformance/moodle)"
            )
        return path.read_bytes()

    return read
