"""Shared fixtures: fresh stores, a demo store, and an isolated environment for AppTest."""

from __future__ import annotations

import shutil
from pathlib import Path

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


@pytest.fixture
def app_db(monkeypatch, tmp_path):
    """Point the app at a fresh database file and clear Streamlit's caches (shared across AppTests)."""
    path = tmp_path / "app.duckdb"
    monkeypatch.setenv("PLC_LENS_DB", str(path))
    monkeypatch.setenv("PLC_LENS_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_demo_db(monkeypatch, tmp_path, demo_db_file):
    """Point the app at a private copy of the demo store and clear Streamlit's caches."""
    path = tmp_path / "app.duckdb"
    shutil.copy(demo_db_file, path)
    monkeypatch.setenv("PLC_LENS_DB", str(path))
    monkeypatch.setenv("PLC_LENS_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    yield path
    st.cache_resource.clear()
    st.cache_data.clear()


def app_test(script: str, **kwargs):
    """An AppTest for a script path relative to the project root."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(ROOT / script), default_timeout=kwargs.pop("timeout", 120), **kwargs)
