"""The Slack channel, assembled: one Bolt AsyncApp for events, buttons and the slash
command, the desk, the call worker, and the FastAPI route they arrive on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request, Response
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from channels.checks import CheckResult
from channels.ports import AgentConsole
from channels.slack.agents import AgentListeners
from channels.slack.calls import CallWorker, SlackCallBook, SlackCallQueue
from channels.slack.check import check_slack
from channels.slack.desk import SlackDesk
from channels.slack.middleware import ignore_bots, take_each_command_once, take_each_event_once
from channels.slack.names import SlackNames
from channels.slack.outages import outage_error_handler
from channels.slack.people import SlackStaff
from channels.slack.ports import SlackStore
from channels.slack.request_body import unreadable_reason
from channels.slack.sales import SalesListeners

EVENTS_PATH = "/webhooks/slack/events"


@dataclass(frozen=True, slots=True)
class SlackConfig:
    """Plain values from the settings (the adapter never sees the settings object)."""

    bot_token: str
    signing_secret: str
    handoff_channel: str
    api_base_url: str = "https://slack.com/api/"
    timeout_seconds: int = 10


def web_client(config: SlackConfig) -> AsyncWebClient:
    """The Web API client. No SDK retries: the call worker decides (a blind retry could
    post twice)."""
    return AsyncWebClient(
        token=config.bot_token,
        base_url=config.api_base_url,
        timeout=config.timeout_seconds,
        retry_handlers=[],
    )


class SlackCheck:
    """The start-up check from the config alone (`switchboard check` has no store)."""

    def __init__(self, config: SlackConfig) -> None:
        self._client = web_client(config)
        self._channel = config.handoff_channel

    async def check(self) -> CheckResult:
        return await check_slack(self._client, self._channel)


class SlackChannel:
    """Built in two steps, because the console (bot's handoff service) needs the desk
    and the listeners need the console: `SlackChannel(...)`, then `.connect(console)`.

    `store` is all the channel reads and writes except the call queue's rows: `calls` is
    the call queue's store, and `call_worker` runs the queue (bot's queue worker, handed
    in because channels cannot import it).
    """

    def __init__(
        self,
        store: SlackStore,
        config: SlackConfig,
        *,
        calls: SlackCallBook,
        call_worker: Callable[[SlackCallQueue], CallWorker],
    ) -> None:
        self._store = store
        self.config = config
        self.client = web_client(config)
        self.calls = SlackCallQueue(calls, self.client)
        self.worker = call_worker(self.calls)
        self.desk = SlackDesk(store.calls, config.handoff_channel, wake=self.worker.wake)
        self.bolt: AsyncApp | None = None

    def connect(
        self,
        console: AgentConsole,
        refusals: tuple[type[Exception], ...] = (),
        *,
        is_outage: Callable[[BaseException], bool] = lambda _: False,
        retry_after_seconds: int = 5,
    ) -> AsyncApp:
        """Build the Bolt app on `console`. `is_outage` tells an error of an unavailable
        store: Slack gets a 503 with Retry-After for it and sends the event again."""
        app = AsyncApp(
            signing_secret=self.config.signing_secret,
            client=self.client,
            request_verification_enabled=True,  # signing secret, 5-minute window
            ignoring_self_events_enabled=True,
            logger=logging.getLogger("channels.slack.bolt"),
        )
        app.error(outage_error_handler(is_outage, retry_after_seconds))
        app.middleware(ignore_bots())
        store = self._store
        app.middleware(take_each_event_once(store.events))
        app.middleware(take_each_command_once(store.events))
        people = SlackStaff(store.staff, self.client)
        names = SlackNames(store.staff, self.client)
        agents = AgentListeners(
            store.events, store.threads, console, self.desk, people, refusals, names
        )
        agents.register(app)
        SalesListeners(store.events, store.summaries, self.desk, people).register(app)
        self.bolt = app
        return app

    def router(self) -> APIRouter:
        if self.bolt is None:
            raise RuntimeError("connect the Slack channel to the console first")
        handler = AsyncSlackRequestHandler(self.bolt)
        router = APIRouter(tags=["slack"])

        @router.post(EVENTS_PATH, include_in_schema=False)
        async def slack_events(request: Request) -> Response:
            reason = unreadable_reason(await request.body(), request.headers.get("content-type"))
            if reason is not None:
                raise HTTPException(400, f"not a Slack request: {reason}")
            return await handler.handle(request)

        return router
