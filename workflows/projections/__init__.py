"""The read models Accord keeps beside its events."""

from workflows.projections.base import View
from workflows.projections.briefings import Briefings
from workflows.projections.funding import FundingLedger
from workflows.projections.overview import PartnershipOverview
from workflows.projections.tasks import TaskList

VIEWS: list[View] = [TaskList(), FundingLedger(), Briefings(), PartnershipOverview()]
