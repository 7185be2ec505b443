"""The rules of the domain, one named error each.

Every error says in one sentence which rule a fact would break, so that the
command line can show it as it is.
"""

from __future__ import annotations


class DomainError(Exception):
    """A fact that the rules of the domain do not allow."""


class UnknownPartner(DomainError, ValueError):
    """A partner code that is not an ISO 3166-1 alpha-2 country code."""


class UnknownCurrency(DomainError, ValueError):
    """A currency code that is not an ISO 4217 code."""


class AmountNotPositive(DomainError, ValueError):
    """Money amounts are strictly positive."""


class AmountTooPrecise(DomainError, ValueError):
    """An amount has no more decimals than its currency's minor unit."""


class AmountTooLarge(DomainError, ValueError):
    """An amount has at most Money.MAXIMUM_DIGITS digits before the point."""


class InvalidActor(DomainError, ValueError):
    """Who records a fact is named in one line of a bounded length."""


class PartnershipNotOpened(DomainError):
    """Nothing is recorded on a partnership before it is opened."""

    @classmethod
    def of(cls, partner: str) -> PartnershipNotOpened:
        return cls(f"partnership {partner} is not opened: record PartnershipOpened for it first")


class AlreadyStarted(DomainError):
    """A partnership, meeting, initiative or envelope is started only once."""


class FutureDated(DomainError):
    """A fact cannot be dated after the moment it is recorded."""


class DialogueNotLaunched(DomainError):
    """A dialogue round needs a launched dialogue."""


class RoundPrecedesLaunch(DomainError):
    """A dialogue round is dated no earlier than the dialogue's launch."""


class DialogueAlreadyLaunched(DomainError):
    """A dialogue is launched once."""


class FundingAlreadyCommitted(DomainError):
    """A funding reference names one commitment."""


class FundingNotCommitted(DomainError):
    """A disbursement needs the commitment it draws on."""


class CurrencyMismatch(DomainError):
    """A disbursement or a decommitment is in the currency of its commitment."""


class DisbursementExceedsCommitment(DomainError):
    """Disbursements on a commitment never exceed it."""


class DecommitmentExceedsRemaining(DomainError):
    """A commitment is never reduced below what was disbursed on it."""


class PrecedesCommitment(DomainError):
    """A disbursement or a decommitment is dated no earlier than its commitment."""


class CommitmentAlreadyRecorded(DomainError):
    """A commitment reference names one commitment."""


class CommitmentNotRecorded(DomainError):
    """Only a recorded commitment can be fulfilled or lapse."""


class CommitmentAlreadyClosed(DomainError):
    """A commitment is fulfilled or lapses once."""


class TaskClosed(DomainError):
    """A completed or cancelled task takes no further change."""


class DeferralNotLater(DomainError):
    """A deferral moves a task's due date later."""


class EscalationNotHigher(DomainError):
    """Each escalation raises a task's level."""


class StageNotLater(DomainError):
    """An initiative only moves forward: planned, proposed, adopted, launched."""


class FactNotRecorded(DomainError):
    """An amendment names a fact recorded on the same partnership (meeting,
    initiative, instrument) by its key."""


class FactAlreadyRetracted(DomainError):
    """A retracted fact is neither corrected nor retracted again."""


class CorrectionInvalid(DomainError):
    """A correction names fields of its fact and gives values they accept,
    and changes something."""


class CorrectionBreaksRecord(DomainError):
    """A correction or a retraction leaves every later fact valid: the
    record folded again with it breaks no rule."""


class NotItsAggregate(DomainError, ValueError):
    """A fact is recorded on the aggregate its subject names (its partner,
    meeting...), and an event on an aggregate of its own kind."""


class VersionOutOfOrder(DomainError):
    """An aggregate's events are numbered one after another from its first."""


class KeyRecordedTwice(DomainError):
    """A submission key is recorded once on its aggregate: the same key
    again records nothing."""


class IndicatorNotDefined(DomainError):
    """Nothing is recorded on an indicator before it is defined."""


class FigureOutOfUnit(DomainError):
    """A figure fits its indicator's unit: a percentage from 0 to 100, an
    amount not negative and no more precise than its currency."""


class BreakdownNotDeclared(DomainError):
    """A figure is broken down only by the categories its indicator declares."""
