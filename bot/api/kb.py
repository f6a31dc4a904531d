"""The knowledge base over HTTP: search (staff), documents list and removal (admin).

The lead passes in the two auth dependencies, so this module knows no token scheme.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field, field_validator

from channels.text import storable
from knowledge import DocumentNotFound, EmptyQuery, KnowledgeBase, Passage

__all__ = ["SearchRequest", "kb_router"]


class SearchRequest(BaseModel):
    query: str = Field(min_length=1, max_length=20_000)
    k: int = Field(default=5, ge=1, le=50)

    @field_validator("query")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the query is empty")
        return storable(value)


def passage_json(passage: Passage) -> dict[str, Any]:
    return {
        "document_id": passage.document_id,
        "chunk_id": passage.chunk_id,
        "title": passage.title,
        "section": passage.section,
        "source": passage.source,
        "score": round(passage.score, 4),
        "text": passage.text,
    }


def kb_router(
    kb: KnowledgeBase,
    staff_dependency: Callable[..., Any],
    admin_dependency: Callable[..., Any],
) -> APIRouter:
    router = APIRouter(prefix="/api/v1/kb", tags=["knowledge"])
    Staff = Annotated[Any, Depends(staff_dependency)]
    Admin = Annotated[Any, Depends(admin_dependency)]

    @router.post("/search")
    async def search(request: SearchRequest, _: Staff) -> dict[str, Any]:
        try:
            passages = await kb.search_async(request.query, request.k)
        except EmptyQuery as exc:
            raise HTTPException(422, str(exc)) from exc
        return {"results": [passage_json(p) for p in passages]}

    @router.get("/documents")
    async def documents(_: Admin) -> dict[str, Any]:
        return {
            "documents": [
                {
                    "document_id": d.document_id,
                    "path": d.path,
                    "title": d.title,
                    "chunks": d.chunks,
                    "content_hash": d.content_hash,
                    "ingested_at": d.ingested_at,
                }
                for d in kb.list_documents()
            ]
        }

    @router.delete(
        "/documents/{document_id}",
        status_code=204,
        responses={404: {"description": "no such document"}},
    )
    async def remove(document_id: str, _: Admin) -> None:
        from anyio import to_thread

        try:
            await to_thread.run_sync(kb.remove, document_id)
        except DocumentNotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    return router
