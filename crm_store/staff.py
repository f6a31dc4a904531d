"""Staff users and their API tokens (stored as SHA-256 hashes, shown once)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.customers import normalise_email
from crm_store.models import StaffUser
from crm_store.models.staff import STAFF_ROLES
from crm_store.records import StaffRecord

TOKEN_PREFIX = "sbs_"
# Who may read account summaries (the API, the Slack command, the chat action). A tuple,
# in this order, because the API's refusal names the roles: "the sales or admin role".
SUMMARY_ROLES = ("sales", "admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_record(row: StaffUser) -> StaffRecord:
    return StaffRecord(
        id=row.id,
        name=row.name,
        email=row.email,
        role=row.role,
        slack_user_id=row.slack_user_id,
        active=row.active,
    )


def create_staff(
    session: Session, *, name: str, email: str, role: str, slack_user_id: str | None = None
) -> tuple[StaffRecord, str]:
    """Create a staff user; returns the record and the API token (the only time it exists)."""
    if role not in STAFF_ROLES:
        raise ValueError(f"role must be one of {', '.join(STAFF_ROLES)}, not {role!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = StaffUser(
        name=name,
        email=normalise_email(email) or email,
        role=role,
        slack_user_id=slack_user_id,
        api_token_hash=hash_token(token),
    )
    session.add(row)
    session.flush()
    return staff_record(row), token


def staff_by_token(session: Session, token: str) -> StaffRecord | None:
    row = session.scalars(
        select(StaffUser).where(
            StaffUser.api_token_hash == hash_token(token), StaffUser.active.is_(True)
        )
    ).one_or_none()
    return staff_record(row) if row is not None else None
