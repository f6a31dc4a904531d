"""The OpenAPI document, made to tell the truth about errors.

Every error Switchboard answers has one JSON shape, `ErrorBody`: `error`, a sentence a
person can read, and `detail`, the same reason as a string or, for invalid input, the
list of fields and what is wrong with each. `document_errors(app)` adds to each route the
error statuses its machinery can answer, once the document is built:

- every route: 503 (the database is unavailable; retry after `Retry-After`);
- routes with a request body: 413 (larger than the body limit) and 422 (invalid input),
  and 400 for JSON nested deeper than the limit;
- routes with parameters: 422;
- routes behind a bearer token (the staff API, the widget's API, the mail relay): 401,
  and for the staff API 403 (a widget token, or a role that is not enough) and 429 (the
  per-token rate limit); the widget's session and message posts: 429.

Statuses a single route answers (404, 409, 300, ...) are declared on the route itself
(`responses={404: {"description": ...}}`), next to the code that raises them; their body
is filled in here. The test
`tests/api/test_openapi_conformance.py` drives every operation with schemathesis and fails
on any status, content type or body the document does not describe.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

__all__ = ["ErrorBody", "FieldProblem", "document_errors", "error_responses"]


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="where: body, query or path, then the field")
    msg: str = Field(description="what is wrong with it")
    type: str = Field(description="a machine-readable kind of problem")


class ErrorBody(BaseModel):
    """The one shape of every error answer."""

    error: str = Field(description="what went wrong, in a sentence")
    detail: str | list[FieldProblem] | None = Field(
        default=None,
        description="the reason again as a string, or for invalid input every field's problem",
    )


_MEANING = {
    400: "the request is malformed",
    401: "no token, or not a valid one",
    403: "the token is valid but may not do this",
    404: "no such record (or not yours to see)",
    409: "the record is not in a state that allows this",
    413: "the body is larger than the limit",
    415: "the body is not of the media type this endpoint takes",
    422: "invalid input: `detail` lists each field's problem",
    429: "too many requests: wait `Retry-After` seconds",
    503: "the database (or a service this needs) is unavailable: retry after `Retry-After`",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route: each status documented with the error shape."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}


def _statuses(path: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses the app's machinery can answer for one documented operation."""
    statuses = [503]
    body = operation.get("requestBody")
    if body is not None:
        statuses += [413, 422]
        if "application/json" in body.get("content", {}):
            statuses.append(400)  # JSON nested deeper than the limit
    elif operation.get("parameters"):
        statuses.append(422)
    staff_api = path.startswith("/api/v1/") and not path.startswith("/api/v1/webchat")
    if operation.get("security"):
        statuses.append(401)
        if staff_api:
            statuses += [403, 429]  # rate limited per token
    if path.startswith("/api/v1/webchat") and body is not None:
        statuses.append(429)  # sessions per address, messages per session
    return statuses


_REF = "#/components/schemas/{model}"


def _error_schemas() -> dict[str, Any]:
    schema = ErrorBody.model_json_schema(ref_template=_REF)
    found = schema.pop("$defs", {})
    found["ErrorBody"] = schema
    return found


def _error_response(status: int) -> dict[str, Any]:
    return {
        "description": _MEANING[status],
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorBody")}}},
    }


def document_errors(app: FastAPI) -> None:
    """Build the document as FastAPI does, then add to each operation the error statuses
    its machinery can answer (a status the route documents itself is left as it says;
    422 always takes the one error shape, which FastAPI's default does not describe)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        document.setdefault("components", {}).setdefault("schemas", {}).update(_error_schemas())
        for path, operations in document.get("paths", {}).items():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status in _statuses(path, operation):
                    if status == 422 or str(status) not in responses:
                        responses[str(status)] = _error_response(status)
                for status, response in responses.items():
                    # Routes (channels' too, which cannot import this) declare their own
                    # errors by description; their body is always the one error shape.
                    if status.isdigit() and int(status) >= 400 and "content" not in response:
                        response["content"] = _error_response(int(status))["content"]
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
