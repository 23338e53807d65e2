from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db

PROVIDER_USER = "provider_user"
COMMISSIONING_OFFICER = "commissioning_officer"
EVALUATOR = "evaluator"
ADMINISTRATOR = "administrator"
# Decision-makers at an authority (see portal.services.approvals for who may answer what).
BUDGET_HOLDER = "budget_holder"
HEAD_OF_SERVICE = "head_of_service"
ASSISTANT_DIRECTOR = "assistant_director"
# Manages one organisation's own staff: invites, deactivates, grants roles and sets approval limits.
USER_ADMINISTRATOR = "user_administrator"
# A provider's person who may sign agreements (the IPA) for the provider.
SIGNATORY = "signatory"
# Monitors the providers the consortium administrator allocates to them (at the lead or a member authority).
CONTRACT_MANAGER = "contract_manager"

ROLE_LABELS = {
    PROVIDER_USER: "Provider user",
    COMMISSIONING_OFFICER: "Commissioning officer",
    BUDGET_HOLDER: "Budget holder",
    HEAD_OF_SERVICE: "Head of service",
    ASSISTANT_DIRECTOR: "Assistant director",
    CONTRACT_MANAGER: "Contract manager",
    EVALUATOR: "Evaluator",
    ADMINISTRATOR: "Consortium administrator",
    USER_ADMINISTRATOR: "User administrator",
    SIGNATORY: "Signatory",
}
AUTHORITY_ROLES = [COMMISSIONING_OFFICER, BUDGET_HOLDER, HEAD_OF_SERVICE, ASSISTANT_DIRECTOR, CONTRACT_MANAGER,
                   EVALUATOR, ADMINISTRATOR, USER_ADMINISTRATOR]
LEAD_AUTHORITY_ROLES = {EVALUATOR, ADMINISTRATOR}
PROVIDER_ROLES = [PROVIDER_USER, USER_ADMINISTRATOR, SIGNATORY]


class User(UserMixin, db.Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]
    # A budget holder's annual approval limit (weekly cost x 52), set by the user administrator; None: not set
    approval_limit: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))

    organisation = relationship("Organisation", back_populates="users")
    role_rows = relationship("UserRole", cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        # The session names the user and a fingerprint of their password, so a reset signs out every session.
        return f"{self.id}:{self.password_hash[-16:]}"

    @property
    def roles(self) -> set[str]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS[r] for r in ROLE_LABELS if r in self.roles]


class UserRole(db.Model):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))


class Invitation(db.Model):
    """An invitation to join an organisation; the token itself is only ever e-mailed, we keep its hash."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    roles: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]

    organisation = relationship("Organisation")
    invited_by = relationship("User")

    @property
    def role_list(self) -> list[str]:
        return [r for r in self.roles.split(",") if r]

    @property
    def role_labels(self) -> list[str]:
        """The roles it gives, in the portal's order (a provider's invitee is always a provider user: not said)."""
        return [ROLE_LABELS[r] for r in ROLE_LABELS if r in self.role_list and r != PROVIDER_USER]
