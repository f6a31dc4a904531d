"""HTTP safety of the app as a whole: redirects that a Host header cannot steer, CORS
open only on the widget's API, and the security headers on pages and JSON."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from bot.app import create_app
from bot.settings import CorsSettings, DatabaseSettings, Settings, WebChatSettings
from tests.support.fakes import ScriptedDialogue

ADMIN_SITE = "https://admin.example.com"
STRANGER = "https://stranger.example"


def app_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "var",
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'sb.db'}", auto_migrate=True),
        webchat=WebChatSettings(secret_key="s" * 40),
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings(tmp_path), dialogue=ScriptedDialogue())) as client:
        yield client


@pytest.fixture
def admin_site_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = app_settings(tmp_path, cors=CorsSettings(staff_origins=[ADMIN_SITE]))
    with TestClient(create_app(settings, dialogue=ScriptedDialogue())) as client:
        yield client


# ---------------------------------------------------------------- redirects


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8443", "127.0.0.1:8000"])
def test_a_trailing_slash_redirect_never_names_the_host_header(
    client: TestClient, host: str
) -> None:
    response = client.get(
        "/api/v1/customers/?email=ada%40example.com",
        headers={"Host": host},
        follow_redirects=False,
    )
    assert response.status_code == 307
    location = response.headers["location"]
    assert location == "/api/v1/customers?email=ada%40example.com"
    assert "evil" not in location


def test_the_redirect_leads_to_the_route_on_the_host_the_client_asked(client: TestClient) -> None:
    response = client.get("/healthz/", headers={"Host": "evil.example"})
    assert response.status_code == 200
    assert response.url.host == "testserver"  # httpx resolved the relative Location
    assert [r.status_code for r in response.history] == [307]


def test_healthz_answers_head_as_it_answers_get(client: TestClient) -> None:
    # Uptime monitors and `curl -I` ask with HEAD: a healthy server answered 405.
    got = client.get("/healthz")
    head = client.head("/healthz")
    assert (head.status_code, got.status_code) == (200, 200)
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert "/healthz" in client.get("/openapi.json").json()["paths"]
    assert list(client.get("/openapi.json").json()["paths"]["/healthz"]) == ["get"]


@pytest.mark.parametrize("path", ["/docs", "/docs/assets/swagger-ui.css", "/staff/", "/widget.js"])
def test_every_page_answers_head_as_it_answers_get(client: TestClient, path: str) -> None:
    # A link checker or `curl -I /docs` got 405 from pages that were up.
    got = client.get(path)
    head = client.head(path)
    assert got.status_code == 200
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))
    assert head.headers["content-security-policy"] == got.headers["content-security-policy"]


def test_head_where_there_is_no_get_is_still_refused(client: TestClient) -> None:
    assert client.head("/api/v1/webchat/sessions").status_code == 405
    assert client.head("/no-such-page").status_code == 404


def test_a_browser_may_ask_with_head_across_origins(admin_site_client: TestClient) -> None:
    widget = preflight(admin_site_client, "/api/v1/webchat/sessions", STRANGER, "HEAD")
    assert "HEAD" in widget["access-control-allow-methods"]
    staff = preflight(admin_site_client, "/api/v1/customers", ADMIN_SITE, "HEAD")
    assert staff["access-control-allow-origin"] == ADMIN_SITE
    assert "HEAD" in staff["access-control-allow-methods"]


def test_paths_that_match_nothing_still_answer_404(client: TestClient) -> None:
    response = client.get("/no/such/page/", headers={"Host": "evil.example"})
    assert response.status_code == 404 and "location" not in response.headers


# ---------------------------------------------------------------- CORS


def preflight(client: TestClient, path: str, origin: str, method: str = "GET") -> dict[str, str]:
    response = client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization",
        },
    )
    return dict(response.headers)


def test_the_staff_api_grants_no_origin_by_default(client: TestClient) -> None:
    headers = preflight(client, "/api/v1/customers", STRANGER)
    assert "access-control-allow-origin" not in headers
    answer = client.get("/api/v1/tickets", headers={"Origin": STRANGER})
    assert "access-control-allow-origin" not in answer.headers


def test_the_staff_api_grants_only_the_listed_origins(admin_site_client: TestClient) -> None:
    listed = preflight(admin_site_client, "/api/v1/tickets/T-1001", ADMIN_SITE, "PATCH")
    assert listed["access-control-allow-origin"] == ADMIN_SITE
    assert "PATCH" in listed["access-control-allow-methods"]
    assert "access-control-allow-origin" not in preflight(
        admin_site_client, "/api/v1/customers", STRANGER
    )
    answer = admin_site_client.get("/api/v1/customers", headers={"Origin": ADMIN_SITE})
    assert answer.headers["access-control-allow-origin"] == ADMIN_SITE


@pytest.mark.parametrize("origin", [STRANGER, "https://shop.customer.example", ADMIN_SITE])
def test_the_widgets_api_stays_open_to_every_origin(
    admin_site_client: TestClient, origin: str
) -> None:
    headers = preflight(admin_site_client, "/api/v1/webchat/sessions", origin, "POST")
    assert headers["access-control-allow-origin"] == "*"
    started = admin_site_client.post(
        "/api/v1/webchat/sessions", json={}, headers={"Origin": origin}
    )
    assert started.status_code == 200
    assert started.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "origin", ["*", "https://*.example.com", "admin.example.com", "https://a.example/x"]
)
def test_cors_settings_take_exact_origins_only(origin: str) -> None:
    with pytest.raises(ValidationError, match="STAFF_ORIGINS"):
        CorsSettings(staff_origins=[origin])


# ---------------------------------------------------------------- security headers


def assert_common_headers(headers: dict[str, str] | object) -> None:
    assert headers["x-content-type-options"] == "nosniff"  # type: ignore[index]
    assert headers["x-frame-options"] == "DENY"  # type: ignore[index]
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"  # type: ignore[index]


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/customers", "/no/such/page", "/widget.js"])
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert_common_headers(response.headers)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy


def test_the_widget_script_stays_loadable_from_other_sites(client: TestClient) -> None:
    script = client.get("/widget.js", headers={"Origin": STRANGER})
    assert script.headers["content-type"].startswith("application/javascript")
    assert "cross-origin-resource-policy" not in script.headers


def test_the_demo_page_allows_only_its_own_scripts_and_styles(client: TestClient) -> None:
    page = client.get("/")
    assert_common_headers(page.headers)
    policy = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    nonce = re.search(r"'nonce-([^']+)'", directives["style-src"])
    assert nonce is not None and "unsafe-inline" not in policy
    assert f'<script src="/widget.js" nonce="{nonce.group(1)}"' in page.text
    assert directives["frame-ancestors"] == "'none'"
    assert "<style" not in page.text  # the page's styles are a file
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)  # no inline script
    assert client.get("/").headers["content-security-policy"] != policy  # a fresh nonce
    styles = client.get("/demo.css")
    assert styles.status_code == 200 and styles.headers["content-type"].startswith("text/css")


def test_the_api_docs_allow_their_inline_script_by_hash_only(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert_common_headers(docs.headers)
    policy = docs.headers["content-security-policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "unsafe-inline" not in script_src and "unsafe-eval" not in script_src
    inline = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
    assert inline
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in script_src
    assert "frame-ancestors 'none'" in policy
    assert "http" not in policy  # nothing from another server: no CDN
    assert client.get("/openapi.json").status_code == 200


def test_the_api_docs_load_nothing_from_another_server(client: TestClient) -> None:
    docs = client.get("/docs").text
    loaded = re.findall(r'(?:src|href)="([^"]+)"', docs) + re.findall(r"url: '([^']+)'", docs)
    assert loaded and all(url.startswith("/") for url in loaded), loaded
    for url in loaded:
        answer = client.get(url)
        assert answer.status_code == 200, url
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["content-type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
    assert client.get("/docs/assets/../../etc/passwd").status_code == 404
    assert client.get("/docs/assets/swagger-initializer.js").status_code == 404
