"""Garage accounts: how a user account comes to act for a garage of the directory.

An operator issues a one-time invite code for a garage (``novaevo garages invite REF``)
and hands it to the garage out of band (mail, phone, the garage's own site); whoever holds
the code signs up as any user, then claims the garage with it (``POST
/v1/garage/account``). Only the code's SHA-256 is stored; a code expires, works once, and
a wrong, used or expired code gets the same answer, so nothing can be learnt by guessing.
``novaevo garages link-account`` stays for operators who link an account directly.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from api.garages import service
from api.garages.bookings import staff_garage_ids
from api.garages.errors import InvalidInputError, InvalidStateError, NotFoundError
from api.garages.models import Garage, GarageInvite, GarageStaff

DEFAULT_VALID_DAYS = 14
MAX_VALID_DAYS = 90


class InvalidInviteError(NotFoundError):
    """No valid invite has this code: unknown, used or expired (never said which). A 404,
    as for any object the caller may not reach."""

    code = "invalid_invite"


def _digest(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def issue_invite(
    session: Session, garage_id: int, now: dt.datetime, days: int = DEFAULT_VALID_DAYS
) -> str:
    """A new one-time code for ``garage_id``, valid ``days`` days (returned once, never
    stored in clear). Raises: NotFoundError (garage), InvalidInputError (days)."""
    if not 1 <= days <= MAX_VALID_DAYS:
        raise InvalidInputError(f"an invite is valid 1..{MAX_VALID_DAYS} days, not {days}")
    service.get_garage(session, garage_id)
    code = "GAR-" + secrets.token_urlsafe(18)
    session.add(
        GarageInvite(
            garage_id=garage_id,
            code_hash=_digest(code),
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )  # fmt: skip
    )
    session.commit()
    return code


def claim_invite(session: Session, user_id: int, code: str, now: dt.datetime) -> Garage:
    """Make the caller staff of the invite's garage and use the code up, in one
    transaction. Raises: InvalidInviteError; InvalidStateError (already its staff: the code
    stays unused)."""
    invite = session.scalar(select(GarageInvite).where(GarageInvite.code_hash == _digest(code)))
    if invite is None or invite.used_by is not None or service.aware(invite.expires_at) <= now:
        raise InvalidInviteError("this invite code is not valid (unknown, used or expired)")
    if invite.garage_id in staff_garage_ids(session, user_id):
        raise InvalidStateError("you already act for this garage")
    used = session.execute(
        update(GarageInvite)
        .where(GarageInvite.id == invite.id, GarageInvite.used_by.is_(None))
        .values(used_by=user_id, used_at=now)
    ).rowcount
    if used != 1:  # a concurrent claim of the same code won
        session.rollback()
        raise InvalidInviteError("this invite code is not valid (unknown, used or expired)")
    session.add(GarageStaff(user_id=user_id, garage_id=invite.garage_id))
    session.commit()
    return service.get_garage(session, invite.garage_id)


def staff_garages(session: Session, user_id: int) -> list[Garage]:
    """The garages the caller acts for."""
    ids = staff_garage_ids(session, user_id)
    return list(session.scalars(select(Garage).where(Garage.id.in_(ids)).order_by(Garage.id)))
