"""ProviderSession: proxy and CA settings from the environment, once per origin, as requests."""

from __future__ import annotations

import requests

from integrations.http import ProviderSession


def settings(session: requests.Session, url: str) -> dict:
    return dict(session.merge_environment_settings(url, {}, None, None, None))


def test_it_gives_what_requests_gives_for_each_origin(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    monkeypatch.setenv("NO_PROXY", "graph.local")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/bundle.pem")
    ours = ProviderSession()
    for url in ("https://api.twilio.test/2010-04-01/x", "https://graph.local/v23.0/1/messages"):
        assert settings(ours, url) == settings(requests.Session(), url)
    assert (
        settings(ours, "https://api.twilio.test/y")["proxies"]["https"] == "http://proxy.test:3128"
    )
    assert settings(ours, "https://graph.local/z")["proxies"] == {}  # NO_PROXY
    assert settings(ours, "https://graph.local/z")["verify"] == "/etc/ssl/certs/bundle.pem"


def test_the_environment_is_read_once_per_origin(monkeypatch):
    ours = ProviderSession()
    monkeypatch.setenv("HTTPS_PROXY", "http://first.test:3128")
    assert settings(ours, "https://a.test/1")["proxies"] == {"https": "http://first.test:3128"}
    monkeypatch.setenv("HTTPS_PROXY", "http://second.test:3128")
    assert settings(ours, "https://a.test/2")["proxies"] == {"https": "http://first.test:3128"}
    assert settings(ours, "https://b.test/1")["proxies"] == {"https": "http://second.test:3128"}


def test_what_a_request_gives_itself_wins(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    ours = ProviderSession()
    merged = ours.merge_environment_settings("https://a.test/", {}, None, False, None)
    assert merged["verify"] is False


def test_a_caller_changing_the_answer_changes_no_later_one(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    ours = ProviderSession()
    settings(ours, "https://a.test/")["proxies"]["https"] = "http://evil.test"
    ours.merge_environment_settings("https://a.test/", {}, None, None, None)["proxies"].clear()
    assert settings(ours, "https://a.test/")["proxies"] == {"https": "http://proxy.test:3128"}
