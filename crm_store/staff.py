"""Staff users and their API tokens (stored as SHA-256 hashes, shown once).

A staff user is never deleted (tickets, leads, handoffs and the audit log point at
them): leaving the company is `deactivate_staff`. A dashboard session is signed with a
fingerprint of the token's hash and checked against the user's row on every request
(bot/api/staff_sessions.py), so replacing the hash or deactivating the user ends every
session at once, with no session table to clear here.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_store.customers import normalise_email
from crm_store.errors import NotFound, StoreError
from crm_store.models import StaffUser
from crm_store.models.staff import STAFF_ROLES
from crm_store.records import StaffRecord

TOKEN_PREFIX = "sbs_"
# Who may read account summaries (the API, the Slack command, the chat action). A tuple,
# in this order, because the API's refusal names the roles: "the sales or admin role".
SUMMARY_ROLES = ("sales", "admin")


class NoSuchStaff(NotFound):
    """No staff user has this email."""


class StaffDeactivated(StoreError):
    """The staff user has been deactivated: they get no new token."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


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
    token = _new_token()
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


def all_staff(session: Session) -> list[StaffRecord]:
    """Every staff user, active or not, by email."""
    return [
        staff_record(row) for row in session.scalars(select(StaffUser).order_by(StaffUser.email))
    ]


def staff_by_email(session: Session, email: str) -> StaffRecord | None:
    """The staff user with this email (any role, active or not); None: nobody."""
    wanted = normalise_email(email) or email
    row = session.scalars(select(StaffUser).where(StaffUser.email == wanted)).one_or_none()
    return staff_record(row) if row is not None else None


def _staff_row(session: Session, email: str) -> StaffUser:
    wanted = normalise_email(email) or email
    # Locked, so a new token and a deactivation of one user at once queue up.
    row = session.scalars(
        select(StaffUser).where(StaffUser.email == wanted).with_for_update()
    ).one_or_none()
    if row is None:
        raise NoSuchStaff(f"no staff user has the email {wanted!r}")
    return row


def give_new_token(session: Session, email: str) -> tuple[StaffRecord, str]:
    """Replace an active staff user's API token; returns the record and the new token
    (the only time it exists). The old token and every session signed in with it stop
    working. A deactivated user is refused: a token must not bring them back unnoticed."""
    row = _staff_row(session, email)
    if not row.active:
        raise StaffDeactivated(f"staff user {row.email} is deactivated and gets no new token")
    token = _new_token()
    row.api_token_hash = hash_token(token)
    session.flush()
    return staff_record(row), token


def deactivate_staff(session: Session, email: str) -> tuple[StaffRecord, bool]:
    """Deactivate a staff user: their token and sessions stop working. Returns the
    record and whether it changed anything (False: deactivated already). The token's
    hash is replaced by one of a token nobody is shown, so the old token stays dead
    even if the row is ever set active again by hand."""
    row = _staff_row(session, email)
    if not row.active:
        return staff_record(row), False
    row.active = False
    row.api_token_hash = hash_token(_new_token())
    session.flush()
    return staff_record(row), True
