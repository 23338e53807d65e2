"""The portal's records. Import models from here."""

from portal.models.agreement import AgreementVersion, PriceChange
from portal.models.analytics import AnalyticsSnapshot
from portal.models.annual_review import (
    AnnualReview,
    ReviewAction,
    ReviewAnswer,
    ReviewCostCheck,
    ReviewQuestion,
    ReviewQuestionnaire,
)
from portal.models.application import Answer, Application, ApplicationLot, CategoryPrice, Document, Referee
from portal.models.approval import Approval
from portal.models.audit import AuditEvent
from portal.models.bid import Bid, BidAssessment, BidCost, BidReceipt
from portal.models.caution import CautionEvidence, CautionReview
from portal.models.child import Child
from portal.models.compliance import EnforcementNotice, Evidence, Inspection, OfstedImport, OfstedMapping, OfstedReview
from portal.models.contract import ProviderContract, Restriction
from portal.models.dps import AgeCategory, Dps, DpsExtension, DpsMember, Lot, QualityQuestion, QuestionSet
from portal.models.evaluation import (
    Allocation,
    Clarification,
    ConflictOfInterest,
    GateResult,
    LotOutcome,
    ModeratedScore,
    Score,
    TierAward,
)
from portal.models.kpi import KpiThreshold, QuarterlyReturn, ReturnAnswer, ReturnQuestion, ReturnSettings
from portal.models.ladder import Appeal, ContractReview, LadderAction, PerformanceIssue, Sanction
from portal.models.market import SufficiencyNotice, Vacancy
from portal.models.messages import Notification, OutboxMessage, SchedulerLease
from portal.models.organisation import CategoryMembership, LotMembership, Organisation
from portal.models.placement import (
    OffFrameworkDocument,
    OffFrameworkProvider,
    OffFrameworkReferee,
    Placement,
    PlacementCost,
)
from portal.models.placement_life import PlacementFeedback, PlacementIncident, PlacementPrice
from portal.models.placement_review import CostReview, PlacementReview, ReviewRequest, ReviewSetting
from portal.models.referral import BidInvitation, Referral, ReferralRound
from portal.models.reminder import SentReminder
from portal.models.security import RateLimitCounter, SignInAddress, UserSession
from portal.models.setting import Setting
from portal.models.user import Invitation, User, UserRole
from portal.models.window import EntryWindow

__all__ = [
    "AgreementVersion", "AnalyticsSnapshot", "PriceChange",
    "CostReview", "PlacementReview", "ReviewRequest", "ReviewSetting",
    "ProviderContract", "Restriction", "Setting",
    "AnnualReview", "ReviewAction", "ReviewAnswer", "ReviewCostCheck", "ReviewQuestion", "ReviewQuestionnaire",
    "EnforcementNotice", "Evidence", "Inspection", "OfstedImport", "OfstedMapping", "OfstedReview",
    "Appeal", "ContractReview", "LadderAction", "PerformanceIssue", "Sanction",
    "Approval",
    "KpiThreshold", "QuarterlyReturn", "ReturnAnswer", "ReturnQuestion", "ReturnSettings",
    "Allocation", "Clarification", "ConflictOfInterest", "GateResult", "LotOutcome", "ModeratedScore", "Score",
    "TierAward", "CautionEvidence", "CautionReview",
    "Bid", "BidAssessment", "BidCost", "BidInvitation", "BidReceipt", "OffFrameworkDocument", "OffFrameworkProvider",
    "OffFrameworkReferee", "Placement", "PlacementCost", "PlacementFeedback", "PlacementIncident", "PlacementPrice",
    "Referral", "ReferralRound", "Child",
    "AgeCategory", "CategoryMembership", "CategoryPrice",
    "Answer", "Application", "ApplicationLot", "AuditEvent", "Document", "Dps", "DpsExtension", "DpsMember",
    "EntryWindow", "Invitation", "Lot", "LotMembership", "Notification", "Organisation",
    "OutboxMessage", "QualityQuestion", "QuestionSet", "RateLimitCounter", "Referee", "SchedulerLease", "SentReminder",
    "SignInAddress",
    "User", "UserRole", "UserSession", "SufficiencyNotice", "Vacancy",
]
