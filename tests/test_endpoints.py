"""Endpoints are rendered from the environment; the committed file is the default."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.server.endpoints import REDIS_LOCK_STORE, render, to_yaml

ROOT = Path(__file__).resolve().parents[1]


def test_committed_endpoints_file_is_the_default_rendering():
    assert (ROOT / "endpoints.yml").read_text() == to_yaml(render({}))


def test_default_tracker_store_is_sqlite_under_the_ignored_folder():
    store = render({})["tracker_store"]
    assert store["dialect"] == "sqlite"
    assert store["db"].startswith(".rasa-data/")
    assert ".rasa-data/" in (ROOT / ".gitignore").read_text()


def test_postgres_keeps_the_password_out_of_the_file():
    env = {"TRACKER_STORE": "postgres", "DB_HOST": "db"}
    config = render({**env, "DB_PASSWORD": "s3cret"})  # pragma: allowlist secret
    text = to_yaml(config)
    assert "s3cret" not in text
    assert "${DB_PASSWORD}" in text
    assert yaml.safe_load(text)["tracker_store"]["url"] == "db"


def test_action_port_comes_from_the_environment():
    assert render({"ACTION_PORT": "6000"})["action_endpoint"]["url"].endswith(":6000/webhook")


def test_action_host_comes_from_the_environment():
    url = render({"ACTION_HOST": "actions", "ACTION_PORT": "5055"})["action_endpoint"]["url"]
    assert url == "http://actions:5055/webhook"


def test_an_unknown_tracker_store_is_a_clear_error():
    with pytest.raises(ValueError, match="TRACKER_STORE"):
        render({"TRACKER_STORE": "mongo"})


def test_the_lock_store_is_in_memory_unless_redis_is_asked_for():
    assert "lock_store" not in render({})


def test_redis_lock_store_keeps_its_password_out_of_the_file():
    env = {"LOCK_STORE": "redis", "REDIS_HOST": "cache", "REDIS_PORT": "6380"}
    text = to_yaml(render({**env, "REDIS_PASSWORD": "s3cret"}))  # pragma: allowlist secret
    store = yaml.safe_load(text)["lock_store"]
    assert (store["type"], store["url"], store["port"]) == (REDIS_LOCK_STORE, "cache", 6380)
    assert "s3cret" not in text and store["password"] == "${REDIS_PASSWORD}"


def test_an_unknown_lock_store_is_a_clear_error():
    with pytest.raises(ValueError, match="LOCK_STORE"):
        render({"LOCK_STORE": "memcached"})
