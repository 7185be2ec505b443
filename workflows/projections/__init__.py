"""The read models Accord keeps beside its events."""

from workflows.projections.base import View
from workflows.projections.tasks import TaskList

VIEWS: list[View] = [TaskList()]
