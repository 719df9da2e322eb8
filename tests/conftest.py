"""Shared fixtures: fresh stores, a demo store, and an isolated environment for AppTest."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import streamlit as st

from lib import demo, store

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def con():
    """A new, empty, migrated in-memory store."""
    c = store.connect(":memory:")
    yield c
    c.close()


@pytest.fixture(scope="session")
def demo_db_file(tmp_path_factory) -> Path:
    """A database file holding the default demo school, built once per test session."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    c = store.connect(path)
    demo.load(c)
    c.close()
    return path


@pytest.fixture
def demo_con(demo_db_file, tmp_path):
    """A private read-write copy of the demo store (tests may write to it)."""
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_db_file, path)
    c = store.connect(path)
    yield c
    c.close()


@contextmanager
def app_pointed_at(path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Point the app at a database file (demo auto-load off), Streamlit's caches cleared before and after."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PLC_LENS_DB", str(path))
        mp.setenv("PLC_LENS_DEMO", "0")
        st.cache_resource.clear()
        st.cache_data.clear()
        try:
            yield mp
        finally:
            st.cache_resource.clear()
            st.cache_data.clear()


def demo_copy(demo_db_file: Path, folder: Path) -> Path:
    """A private copy of the demo database in a folder."""
    path = folder / "app.duckdb"
    shutil.copy(demo_db_file, path)
    return path


@pytest.fixture
def app_db(tmp_path):
    """Point the app at a fresh database file and clear Streamlit's caches (shared across AppTests)."""
    path = tmp_path / "app.duckdb"
    with app_pointed_at(path):
        yield path


@pytest.fixture
def app_demo_db(tmp_path, demo_db_file):
    """Point the app at a private copy of the demo store and clear Streamlit's caches."""
    path = demo_copy(demo_db_file, tmp_path)
    with app_pointed_at(path):
        yield path


def app_test(script: str, **kwargs):
    """An AppTest for a script path relative to the project root."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / script), default_timeout=kwargs.pop("timeout", 120), **kwargs)


def open_tab(at, key: str, label: str):
    """Open one of a page's tabs (lib.ui.tabs draws only the open tab's content) and run the page again."""
    at.session_state[key] = label
    return at.run()


def every_tab(at, key: str) -> list[str]:
    """Open each of the page's tabs in turn, checking that none raises; returns the labels visited."""
    labels = [t.label for t in at.tabs]
    for label in labels:
        open_tab(at, key, label)
        assert not at.exception, (label, at.exception)
    return labels
