"""The delivery worker's consent check: a claimed batch's consent is read in the claim
(one statement, not a transaction per message), and a second message to a recipient
who opted out while the first was being sent is not sent."""

from __future__ import annotations

from sqlalchemy import event

from bot.delivery.worker import DeliveryWorker, RetryPolicy
from channels.messages import Channel, OutboundMessage, SendReceipt
from crm_store import Database, consents, customers, history, outbox
from crm_store.records import NewInteraction
from tests.support.fakes import RecordingSender


def _queue_replies(database: Database, address: str, texts: list[str]) -> list[int]:
    with database.transaction() as session:
        customer, identity = customers.resolve_identity(session, "terminal", address)
        conversation = history.current_conversation(
            session, customer_id=customer.id, identity_id=identity.id, channel="terminal"
        )
        new = [NewInteraction(direction="out", author="bot", text=text) for text in texts]
        return [outbox.log_outbound(session, conversation, address, n).id for n in new]


def _opt_out(database: Database, address: str) -> None:
    with database.transaction() as session:
        consents.record_consent(
            session,
            channel="terminal",
            address=address,
            decision=consents.WITHDRAWN,
            means="sms_keyword",
            source="STOP",
        )


def _status(database: Database, interaction_id: int) -> str | None:
    with database.transaction() as session:
        return history.get_interaction(session, interaction_id).delivery_status


def _worker(database: Database, sender: RecordingSender) -> DeliveryWorker:
    policy = RetryPolicy(base_delay_seconds=0.0)
    return DeliveryWorker(database, {Channel.TERMINAL: sender}, policy=policy)


async def test_a_batch_reads_consent_once_and_an_opt_out_still_stops_its_message(
    database: Database,
) -> None:
    ada = _queue_replies(database, "+15550100", ["Your order shipped"])
    bo = _queue_replies(database, "+15550101", ["Your refund is on its way"])
    cy = _queue_replies(database, "+15550102", ["Thanks for waiting"])
    _opt_out(database, "+15550101")
    reads: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM consent_ledger" in statement:
            reads.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    try:
        sender = RecordingSender()
        assert await _worker(database, sender).deliver_due() == 3
    finally:
        event.remove(database.engine, "before_cursor_execute", note)
    assert len(reads) == 1
    assert sorted(message.address for message in sender.sent) == ["+15550100", "+15550102"]
    assert [_status(database, i) for i in (*ada, *bo, *cy)] == ["sent", "opted_out", "sent"]


class StopAfterFirstSend(RecordingSender):
    """The recipient texts STOP while the first of two messages is being sent."""

    database: Database | None = None

    async def send(self, message: OutboundMessage) -> SendReceipt:
        receipt = await super().send(message)
        if len(self.sent) == 1 and self.database is not None:
            _opt_out(self.database, message.address)
        return receipt


async def test_a_stop_during_the_first_send_stops_the_second(database: Database) -> None:
    first, second = _queue_replies(database, "+15550100", ["Your order shipped", "Anything else?"])
    sender = StopAfterFirstSend()
    sender.database = database
    assert await _worker(database, sender).deliver_due() == 2
    assert [message.text for message in sender.sent] == ["Your order shipped"]
    assert (_status(database, first), _status(database, second)) == ("sent", "opted_out")
