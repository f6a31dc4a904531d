from pathlib import Path

import pytest
from fastapi import FastAPI, Header, HTTPException
from fastapi.testclient import TestClient

from bot.api.kb import kb_router
from knowledge import KnowledgeBase
from tests.support.encoders import RecordingEncoder


def staff(authorization: str = Header(default="")) -> str:
    if authorization not in ("Bearer staff", "Bearer admin"):
        raise HTTPException(401, "invalid token")
    return authorization


def admin(authorization: str = Header(default="")) -> str:
    if authorization != "Bearer admin":
        raise HTTPException(403, "admin only")
    return authorization


@pytest.fixture
def client(tmp_path: Path, help_dir: Path) -> TestClient:
    kb = KnowledgeBase.open(tmp_path / "index", RecordingEncoder())
    kb.ingest([help_dir])
    app = FastAPI()
    app.include_router(kb_router(kb, staff, admin))
    return TestClient(app)


STAFF = {"Authorization": "Bearer staff"}
ADMIN = {"Authorization": "Bearer admin"}


def test_search_returns_results_in_the_documented_shape(client: TestClient) -> None:
    response = client.post(
        "/api/v1/kb/search", json={"query": "refunds issued", "k": 2}, headers=STAFF
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 2
    assert {"document_id", "chunk_id", "title", "source", "score", "text"} <= set(results[0])
    assert results[0]["text"] == "Refunds are issued within 5 business days."


@pytest.mark.parametrize(
    "body", [{"query": ""}, {"query": "   "}, {"query": "x", "k": 0}, {"query": "x", "k": 51}, {}]
)
def test_bad_search_requests_are_422(client: TestClient, body: dict[str, object]) -> None:
    assert client.post("/api/v1/kb/search", json=body, headers=STAFF).status_code == 422


def test_search_needs_staff(client: TestClient) -> None:
    assert client.post("/api/v1/kb/search", json={"query": "x"}).status_code == 401


def test_documents_are_listed_and_removed_by_admins_only(client: TestClient) -> None:
    assert client.get("/api/v1/kb/documents", headers=STAFF).status_code == 403
    documents = client.get("/api/v1/kb/documents", headers=ADMIN).json()["documents"]
    assert sorted(d["title"] for d in documents) == ["Refunds", "Shipping"]
    target = documents[0]["document_id"]
    assert client.delete(f"/api/v1/kb/documents/{target}", headers=STAFF).status_code == 403
    assert client.delete(f"/api/v1/kb/documents/{target}", headers=ADMIN).status_code == 204
    assert client.delete(f"/api/v1/kb/documents/{target}", headers=ADMIN).status_code == 404
    assert len(client.get("/api/v1/kb/documents", headers=ADMIN).json()["documents"]) == 1
