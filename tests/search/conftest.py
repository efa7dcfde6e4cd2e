"""The search tests publish articles of made-up services ("testing", and "zanzibar", whose name
must appear nowhere else); the service catalogue names them so the editor accepts them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from kb.config import Defaults
from kb.extensions import kb_state


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    application = make_app(SERVICES=[*Defaults.SERVICES, "testing", "zanzibar"])
    yield application
    kb_state(application).engine.dispose()
