"""The page a survey email's rating links open: `GET /survey?t=...` shows the rating
the link carries with a box for a comment and a button; the POST records it.

A GET records nothing: mail scanners and link previews open every link in a mail, and
must not rate for the customer (the unsubscribe page does the same). The rating is
recorded under the rules of a reply with a number (bot/conversation/engine.py): the
survey of the conversation's current care cycle, unanswered, asked within the answer
window, the conversation not reopened since; the first answer stands, credited to
whoever resolved the cycle (crm_store/surveys.py). Outside the OpenAPI document: it is
for people following a link, not API clients.

Statuses: 400 a link without its token (cut short: a page that says so, not the app's
JSON 422) or a comment over the limit; 403 a forged or altered link; 404 surveys are
off; 409 this survey has its rating already (from this link, another, or a reply); 410
the survey closed (the conversation reopened, the answer window passed, or the survey
was erased).
"""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Annotated
from urllib.parse import parse_qs

from anyio import to_thread
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from bot.api.small_page import incomplete_link_page, small_page
from bot.surveys.asking import SCORE_WORDS, SurveyPolicy
from bot.surveys.links import PATH, SurveyLinks
from crm_store import Database, surveys
from crm_store.base import utcnow

__all__ = ["survey_page_router"]

COMMENT_LIMIT = 2000
# Optional: a link without its token gets a page saying so (`_read`), not a JSON 422.
Token = Annotated[str | None, Query(max_length=500)]
_REFUSED = "<h1>This rating link is not valid.</h1>"
_RESPONSES: dict[int | str, dict[str, str]] = {
    400: {"description": "the link has no token, or the comment is over 2000 characters"},
    403: {"description": "a forged or altered rating link"},
    404: {"description": "satisfaction surveys are turned off"},
    409: {"description": "this survey was answered already"},
    410: {"description": "the survey closed: the conversation reopened or the time passed"},
}


def survey_page_router(database: Database, links: SurveyLinks, policy: SurveyPolicy) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def _state(survey_id: int) -> str:
        """open | answered | closed"""
        with database.transaction() as session:
            return _survey_state(session, survey_id, policy.answer_within)

    def _record(survey_id: int, score: int, comment: str | None) -> str:
        with database.transaction() as session:
            state = _survey_state(session, survey_id, policy.answer_within)
            if state != "open":
                return state
            answered = surveys.answer(session, survey_id, score, comment)
            return "recorded" if answered is not None else "answered"

    def _read(token: str | None) -> tuple[int, int] | HTMLResponse:
        """(survey id, score), or the page that refuses the link."""
        if not policy.enabled:
            return small_page("Not found", "<h1>Surveys are turned off.</h1>", 404)
        if not token:
            return incomplete_link_page(
                "rating link",
                "Please open the rating link in our email again, or copy all of it into "
                "your browser's address bar. You can also answer the email with a number "
                "from 1 to 5.",
            )
        found = links.read(token)
        return found if found is not None else small_page("Link refused", _REFUSED, 403)

    def _closed_page(state: str) -> HTMLResponse:
        if state == "answered":
            return small_page(
                "Already rated", "<h1>We have your rating already. Thank you!</h1>", 409
            )
        if state == "closed":
            return small_page(
                "Survey closed",
                "<h1>This survey has closed.</h1><p>If you need anything, just write to us.</p>",
                410,
            )
        raise AssertionError(state)

    @router.get(PATH, responses=_RESPONSES)
    async def rating_page(t: Token = None) -> HTMLResponse:
        found = _read(t)
        if isinstance(found, HTMLResponse):
            return found
        survey_id, score = found
        state = await to_thread.run_sync(_state, survey_id)
        if state != "open":
            return _closed_page(state)
        return small_page(
            "Rate us",
            f"<h1>Your rating: {score} of 5 ({escape(SCORE_WORDS[score])})</h1>"
            f'<form method="post" action="{PATH}?t={escape(t or "")}">'
            f'<p><label>Anything to add? (optional)<br><textarea name="comment" rows="4" '
            f'cols="40" maxlength="{COMMENT_LIMIT}"></textarea></label></p>'
            '<button type="submit">Send my rating</button></form>',
        )

    @router.post(PATH, responses=_RESPONSES)
    async def rate(request: Request, t: Token = None) -> HTMLResponse:
        found = _read(t)
        if isinstance(found, HTMLResponse):
            return found
        survey_id, score = found
        body = (await request.body())[: COMMENT_LIMIT * 12].decode(errors="replace")
        comment = (parse_qs(body).get("comment") or [""])[0].strip()
        if len(comment) > COMMENT_LIMIT:
            return small_page(
                "Comment too long",
                f"<h1>Please keep the comment under {COMMENT_LIMIT} characters.</h1>",
                400,
            )
        state = await to_thread.run_sync(_record, survey_id, score, comment or None)
        if state != "recorded":
            return _closed_page(state)
        return small_page(
            "Thank you", f"<h1>Thank you for rating us {score} of 5!</h1><p>It helps us.</p>"
        )

    return router


def _survey_state(session: Session, survey_id: int, answer_within: timedelta) -> str:
    survey = surveys.get_survey(session, survey_id)
    if survey is None:  # erased with its customer
        return "closed"
    if survey.score is not None:
        return "answered"
    waiting = surveys.awaiting_answer(
        session, survey.conversation_id, asked_after=utcnow() - answer_within
    )
    return "open" if waiting is not None and waiting.id == survey_id else "closed"
