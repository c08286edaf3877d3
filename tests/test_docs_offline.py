"""The API docs and the admin pages load nothing from outside the server: they work offline."""

import re

import pytest
from fastapi.testclient import TestClient

# Every place a page can name something for the browser to load.
REFERENCE = re.compile(r"""(?:src|href|spec-url|url)\s*[=:]\s*["']([^"']+)["']""")


def references(html: str) -> list[str]:
    return REFERENCE.findall(html)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_api_docs_are_served_from_the_server(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    # No absolute or protocol-relative address at all: nothing comes from a CDN.
    assert not re.search(r"https?://|[\"']//", html), html
    names = references(html)
    assert any(n.endswith(".js") for n in names), names
    assert "/openapi.json" in names
    for name in names:
        assert name.startswith("/"), name
        asset = client.get(name)
        assert asset.status_code == 200, name
        assert asset.content, name


def test_swagger_ui_script_is_the_real_bundle(client: TestClient) -> None:
    script = next(n for n in references(client.get("/docs").text) if n.endswith(".js"))
    body = client.get(script)
    assert "javascript" in body.headers["content-type"]
    assert "SwaggerUIBundle" in body.text and len(body.content) > 500_000


def test_admin_sign_in_page_loads_nothing_from_outside(client: TestClient) -> None:
    response = client.get("/admin/login")
    assert response.status_code == 200
    html = response.text
    for name in references(html):
        assert not re.match(r"(https?:)?//", name), name
        if name.startswith("/") and not name.startswith("/admin/login"):
            assert client.get(name, follow_redirects=False).status_code in (200, 303), name
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy or "default-src 'none'" in policy, policy
