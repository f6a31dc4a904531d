"""one live handoff per conversation, one card per handoff

Before this, concurrent requests for a person could open two live handoffs for one
conversation, and every request posted a card. Existing duplicates are settled first,
so the unique indexes can be built:

- of a conversation's live handoffs, the claimed one (else the newest) stays live; the
  others become `superseded`, and a reply in their cards' threads tells the agent so;
- of a handoff's card calls, the first stays its card; the others become
  `handoff_card_copy` (a reply in their threads still reaches the handoff), and those not
  yet posted are marked failed with why, rather than posting yet another card.

Revision ID: 0008
Revises: 0006
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "status IN ('queued', 'claimed')"
CARD = "purpose = 'handoff_card'"

SUPERSEDE_SURPLUS_HANDOFFS = f"""
UPDATE handoffs SET status = 'superseded', closed_at = :now
WHERE {LIVE} AND id <> (
    SELECT keep.id FROM handoffs AS keep
    WHERE keep.conversation_id = handoffs.conversation_id AND keep.{LIVE}
    ORDER BY CASE WHEN keep.status = 'claimed' THEN 0 ELSE 1 END, keep.id DESC
    LIMIT 1
)
"""
UNSENT_COPIES_FAIL = f"""
UPDATE slack_calls
SET status = 'failed', done_at = :now, claimed_until = NULL,
    last_error = 'a second card of one handoff: not posted (migration 0008)'
WHERE {CARD} AND status IN ('pending', 'sending') AND id <> (
    SELECT MIN(earliest.id) FROM slack_calls AS earliest
    WHERE earliest.{CARD} AND earliest.handoff_id = slack_calls.handoff_id
)
"""
RELABEL_COPIES = f"""
UPDATE slack_calls SET purpose = 'handoff_card_copy'
WHERE {CARD} AND id <> (
    SELECT MIN(earliest.id) FROM slack_calls AS earliest
    WHERE earliest.{CARD} AND earliest.handoff_id = slack_calls.handoff_id
)
"""


def upgrade() -> None:
    now = sa.bindparam("now", datetime.now(UTC), type_=sa.DateTime(timezone=True))
    op.execute(sa.text(SUPERSEDE_SURPLUS_HANDOFFS).bindparams(now))
    op.execute(sa.text(UNSENT_COPIES_FAIL).bindparams(now))
    op.execute(sa.text(RELABEL_COPIES))
    op.create_index(
        "uq_handoffs_live_conversation",
        "handoffs",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(LIVE),
        postgresql_where=sa.text(LIVE),
    )
    op.create_index(
        "uq_slack_calls_handoff_card",
        "slack_calls",
        ["handoff_id"],
        unique=True,
        sqlite_where=sa.text(CARD),
        postgresql_where=sa.text(CARD),
    )


def downgrade() -> None:
    op.drop_index("uq_slack_calls_handoff_card", table_name="slack_calls")
    op.drop_index("uq_handoffs_live_conversation", table_name="handoffs")
