"""The staff API for segments and campaigns (admin and marketing roles): save segments
and preview them, create campaigns, dry-run them, schedule, pause, resume, cancel, and
read their results. Every change goes through engagement/campaign_actions.py, as the
CLI's and the YAML files' do.

How a refused change answers, one rule for every route here:
- 409: the campaign as it stands does not allow it: its status (resume a cancelled
  one; change the content of one that is sending), or a time saved with it (a saved
  time or deadline that has passed, a start too long gone to resume). The same request
  would do on a campaign in another state; the reason says what to do to the campaign
  first (usually: schedule it again with a new `at`). `CampaignStateError`.
- 422: the request cannot be done whatever the campaign's state: a value in it is
  wrong (an `at` in the past, a deadline before the time, a bad filter or step), or
  the content it would send fails (a template, a channel with no provider, a segment
  with nobody in it now). `InvalidCampaign` and the request's validation.
- 404: no such segment or campaign.
The CLI runs the same actions and prints the same reason, exiting 1 for either."""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict

from bot.api.audit import AuditTrail
from bot.api.auth import StaffDependency
from crm_store import Database, campaigns
from crm_store.base import MAX_ID, utcnow
from crm_store.campaigns import CampaignRecord, SegmentRecord
from crm_store.records import StaffRecord
from engagement.campaign_actions import (
    SCHEDULE_SKEW,
    create_campaign,
    move_campaign,
    save_segment,
    schedule_campaign,
    segment_preview,
)
from engagement.definitions import CampaignDefinition, SegmentDefinition
from engagement.errors import CampaignStateError, InvalidCampaign
from engagement.journey_definitions import JourneyDefinition
from engagement.preview import preview_campaign
from engagement.recipient_list import LedgerState, recipient_list
from engagement.report import campaign_report
from engagement.rules import EngagementRules

__all__ = ["campaign_json", "campaigns_router"]

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
NOT_FOUND = {404: {"description": "no such segment or campaign"}}
STATE = {
    409: {
        "description": "the campaign's status, or a time or deadline saved with it, does "
        "not allow this; the reason says what to do first"
    }
}
INVALID = {
    422: {
        "description": "the request is invalid whatever the campaign's state: a time in it "
        "has passed or is before another, or the content fails (a template, a channel "
        "with no provider, nobody to send to)"
    }
}


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Default: the time saved with the campaign, else now; "now" says now whatever was
    # saved (a saved time that has passed is refused: engagement/campaign_actions.py).
    at: AwareDatetime | Literal["now"] | None = None
    deadline: AwareDatetime | None = None


def segment_json(segment: SegmentRecord) -> dict[str, Any]:
    return {
        "id": segment.id,
        "name": segment.name,
        "description": segment.description,
        "filter": segment.filter,
        "created_at": segment.created_at.isoformat(),
    }


def campaign_json(campaign: CampaignRecord) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": campaign.id,
        "name": campaign.name,
        "segment_id": campaign.segment_id,
        "purpose": campaign.purpose,
        "content": campaign.content,
        "steps": campaign.steps,
        "status": campaign.status,
        "scheduled_at": when(campaign.scheduled_at),
        "send_deadline": when(campaign.send_deadline),
        "holdout_share": campaign.holdout_share,
        "conversion_days": campaign.conversion_days,
        "source": campaign.source,
        "started_at": when(campaign.started_at),
        "start_delay_seconds": campaign.start_delay_seconds,
        # A draft whose saved time has gone by (saved so, or back from a send found too
        # late): scheduling it needs a new `at`.
        "scheduled_at_passed": campaign.status == "draft"
        and campaign.scheduled_at is not None
        and campaign.scheduled_at < utcnow() - SCHEDULE_SKEW,
        "finished_at": when(campaign.finished_at),
        "kind": campaign.kind,
        "journey": campaign.journey,
    }


def _template_refusal(exc: InvalidCampaign) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={
            "error": exc.reason,
            "detail": [
                {
                    "loc": ["body", "content", str(p.get("step", ""))],
                    "msg": f"customer {p.get('customer_id')}: {p.get('error')}",
                    "type": "template",
                }
                for p in exc.problems
            ]
            or exc.reason,
        },
    )


def campaigns_router(
    database: Database,
    staff: StaffDependency,
    rules: EngagementRules,
    wake_sender: Callable[[], None] = lambda: None,
    trail: AuditTrail | None = None,
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["campaigns"])
    Member = Annotated[StaffRecord, Depends(staff)]

    def run(work: Callable[..., Any], *args: Any) -> Any:
        def inside() -> Any:
            with database.transaction() as session:
                return work(session, *args)

        return to_thread.run_sync(inside)

    def _campaign(session: Any, campaign_id: int) -> CampaignRecord:
        found = campaigns.get_campaign(session, campaign_id)
        if found is None:
            raise HTTPException(404, f"no campaign {campaign_id}")
        return found

    @router.get("/segments")
    async def list_segments(member: Member) -> list[dict[str, Any]]:
        """Every saved segment."""
        return await run(lambda s: [segment_json(x) for x in campaigns.list_segments(s)])

    @router.post("/segments", status_code=201)
    async def save(body: SegmentDefinition, member: Member) -> dict[str, Any]:
        """Save a named filter (a new one, or the filter of the one with this name)."""
        return await run(lambda s: segment_json(save_segment(s, body)))

    @router.get("/segments/{segment_id}/preview", responses=NOT_FOUND)
    async def preview_segment(
        segment_id: Id, member: Member, sample: Annotated[int, Query(ge=0, le=200)] = 20
    ) -> dict[str, Any]:
        """How many customers the segment holds now, and a sample of them."""

        def work(session: Any) -> dict[str, Any]:
            segment = campaigns.get_segment(session, segment_id)
            if segment is None:
                raise HTTPException(404, f"no segment {segment_id}")
            return segment_preview(session, segment, now=utcnow(), sample=sample)

        return await run(work)

    @router.get("/campaigns")
    async def list_campaigns(member: Member) -> list[dict[str, Any]]:
        return await run(lambda s: [campaign_json(c) for c in campaigns.list_campaigns(s)])

    @router.post(
        "/campaigns",
        status_code=201,
        responses={**STATE, 404: {"description": "no segment of that name"}},
    )
    async def create(body: CampaignDefinition, member: Member) -> dict[str, Any]:
        """Create a draft campaign (or change a draft of the same name)."""
        return await _create(body)

    async def _create(body: CampaignDefinition | JourneyDefinition) -> dict[str, Any]:
        def work(session: Any) -> dict[str, Any]:
            try:
                return campaign_json(create_campaign(session, body, source="api"))
            except InvalidCampaign as exc:
                raise HTTPException(404, exc.reason) from None
            except CampaignStateError as exc:
                raise HTTPException(409, str(exc)) from None

        return await run(work)

    @router.post(
        "/journeys",
        status_code=201,
        responses={
            404: {"description": "no segment of that name"},
            409: {"description": "a campaign of that name has started, or is not a journey"},
        },
    )
    async def create_journey(body: JourneyDefinition, member: Member) -> dict[str, Any]:
        """Create a draft journey (or change a draft of the same name): a trigger and
        steps. It is then scheduled, paused, resumed, cancelled, previewed and reported
        at /campaigns/{id} like any campaign."""
        return await _create(body)

    @router.get("/campaigns/{campaign_id}", responses=NOT_FOUND)
    async def one(campaign_id: Id, member: Member) -> dict[str, Any]:
        return await run(lambda s: campaign_json(_campaign(s, campaign_id)))

    @router.get("/campaigns/{campaign_id}/preview", responses=NOT_FOUND)
    async def preview(
        campaign_id: Id,
        member: Member,
        sample: Annotated[int, Query(ge=0, le=1000)] = 50,
        limit: Annotated[int, Query(ge=1, le=100_000)] = 5000,
    ) -> dict[str, Any]:
        """The dry run: who would get which step when, and why each other customer
        would not (nothing is written)."""
        return await run(
            lambda s: preview_campaign(
                s,
                _campaign(s, campaign_id),
                rules,
                now=utcnow(),
                max_customers=limit,
                sample=sample,
            )
        )

    @router.post(
        "/campaigns/{campaign_id}/schedule",
        responses={**NOT_FOUND, **STATE, **INVALID},
    )
    async def schedule(campaign_id: Id, body: Schedule, member: Member) -> Any:
        """Schedule a draft: at `at` (default: its saved time, else now; "now": now),
        sent until `deadline`."""

        def work(session: Any) -> Any:
            now = utcnow()
            try:
                return campaign_json(
                    schedule_campaign(
                        session,
                        _campaign(session, campaign_id),
                        rules,
                        now=now,
                        at=now if body.at == "now" else body.at,
                        deadline=body.deadline,
                    )
                )
            except InvalidCampaign as exc:
                return _template_refusal(exc)
            except CampaignStateError as exc:
                raise HTTPException(409, str(exc)) from None

        found = await run(work)
        wake_sender()
        return found

    async def move(campaign_id: int, action: str) -> dict[str, Any]:
        def work(session: Any) -> dict[str, Any]:
            found = _campaign(session, campaign_id)
            try:
                return campaign_json(move_campaign(session, found, action, now=utcnow()))
            except CampaignStateError as exc:
                raise HTTPException(409, str(exc)) from None

        moved = await run(work)
        wake_sender()
        return moved

    @router.post("/campaigns/{campaign_id}/pause", responses={**NOT_FOUND, **STATE})
    async def pause(campaign_id: Id, member: Member) -> dict[str, Any]:
        """Stop sending (rows in flight finish); nothing is lost: resume goes on."""
        return await move(campaign_id, "pause")

    @router.post("/campaigns/{campaign_id}/resume", responses={**NOT_FOUND, **STATE})
    async def resume(campaign_id: Id, member: Member) -> dict[str, Any]:
        return await move(campaign_id, "resume")

    @router.post("/campaigns/{campaign_id}/cancel", responses={**NOT_FOUND, **STATE})
    async def cancel(campaign_id: Id, member: Member) -> dict[str, Any]:
        """Cancel: rows not sent yet are suppressed with reason `cancelled`."""
        return await move(campaign_id, "cancel")

    @router.get("/campaigns/{campaign_id}/report", responses=NOT_FOUND)
    async def report(campaign_id: Id, member: Member) -> dict[str, Any]:
        """Sent, delivered, failed, suppressed by reason, replies, unsubscribes,
        conversions and the lift against the holdout."""
        return await run(lambda s: campaign_report(s, _campaign(s, campaign_id)))

    @router.get("/campaigns/{campaign_id}/recipients", responses=NOT_FOUND)
    async def recipients(
        request: Request,
        campaign_id: Id,
        member: Member,
        state: Annotated[LedgerState | None, Query()] = None,
        reason: Annotated[str | None, Query(max_length=40)] = None,
        step: Annotated[str | None, Query(max_length=40)] = None,
        after_id: Annotated[int, Query(ge=0, le=MAX_ID, description="the last id seen")] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        """Who the campaign was sent to, in ledger order: each customer and step with
        the send's state, the reason it was suppressed or failed and (SMS) the delivery
        status; `counts` of the whole ledger by state and reason, and of the rows
        matching. `next_after_id` pages on. Each customer listed is an audited read."""
        found = await run(
            lambda s: recipient_list(
                s,
                _campaign(s, campaign_id),
                state=state,
                reason=reason,
                step=step,
                after_id=after_id,
                limit=limit,
            )
        )
        if trail is not None:
            listed = {row["customer"]["id"] for row in found["recipients"]}
            await trail.record(request, member, "read", sorted(listed))
        return found

    return router
