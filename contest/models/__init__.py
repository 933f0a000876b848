"""SQLAlchemy tables, one module per aggregate; importing this registers them all."""

from contest.models.accounts import (
    ROLES,
    LoginFailure,
    Participant,
    StaffRole,
    StaffUser,
    TrustedDevice,
    WebSession,
)
from contest.models.admission import StartTicket
from contest.models.api_tokens import ApiToken, ApiTokenContest
from contest.models.attempts import Answer, Attempt
from contest.models.audit import AuditCheckpoint, AuditEntry, AuditHead, AuditPending
from contest.models.banks import Picture, Question, QuestionBank, QuestionVersion, RoundBank
from contest.models.base import Base
from contest.models.certificates import (
    Certificate,
    CertificateCounter,
    CertificateImage,
    CertificateTemplateRow,
)
from contest.models.contest import Contest, Round, Unit
from contest.models.files import StoredFile, StoredFileChunk
from contest.models.identity import IdentityProvider, OidcSignIn, ParticipantIdentity
from contest.models.jobs import Job
from contest.models.live import LiveCount
from contest.models.notices import CitizenIdClaim, CitizenIdClaimDecision, Notice, NoticeAttempt
from contest.models.resets import PasswordReset
from contest.models.results import (
    EligibilityDecision,
    KeyCorrection,
    PrizeList,
    PrizeListEntry,
    PrizePlanRecord,
    RoundResult,
    TieDecisionRecord,
)
from contest.models.screening import ExcludedPerson
from contest.models.signals import SignalCluster, SignalRun, SignalSettingsRecord
from contest.models.works import (
    AuthorGroup,
    AuthorGroupMember,
    JudgeAssignment,
    JudgeDeclaration,
    Work,
    WorkFile,
    WorkScore,
    WorksSettings,
)

__all__ = [
    "ROLES",
    "Answer",
    "ApiToken",
    "ApiTokenContest",
    "Attempt",
    "StartTicket",
    "Picture",
    "Question",
    "QuestionBank",
    "QuestionVersion",
    "RoundBank",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "AuditPending",
    "Base",
    "Contest",
    "IdentityProvider",
    "Job",
    "LiveCount",
    "LoginFailure",
    "Notice",
    "OidcSignIn",
    "NoticeAttempt",
    "Participant",
    "PasswordReset",
    "ParticipantIdentity",
    "Round",
    "StaffRole",
    "StaffUser",
    "TrustedDevice",
    "Unit",
    "WebSession",
]
