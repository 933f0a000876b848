"""SQLAlchemy tables, one module per aggregate; importing this registers them all."""

from contest.models.accounts import ROLES, LoginFailure, Participant, StaffRole, StaffUser, WebSession
from contest.models.audit import AuditEntry, AuditHead
from contest.models.base import Base
from contest.models.contest import Contest, Round, Unit

__all__ = [
    "ROLES",
    "AuditEntry",
    "AuditHead",
    "Base",
    "Contest",
    "LoginFailure",
    "Participant",
    "Round",
    "StaffRole",
    "StaffUser",
    "Unit",
    "WebSession",
]
