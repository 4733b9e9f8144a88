import pytest

from .keyfiles import write_key


@pytest.fixture
def tool_key(settings, tmp_path):
    """The tool's current key, configured from a file as in production."""
    path = tmp_path / "tool-key.pem"
    key = write_key(path)
    settings.LTI_PRIVATE_KEY_FILE = str(path)
    settings.LTI_PRIVATE_KEY = ""
    return key
