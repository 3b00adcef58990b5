import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from weirtest import Daemon  # noqa: E402


@pytest.fixture
def daemons():
    """Makes daemons and makes sure none outlives the test."""
    made = []

    def make(*args, **kwargs):
        d = Daemon(*args, **kwargs)
        made.append(d)
        return d

    yield make
    for d in made:
        d.cleanup()
