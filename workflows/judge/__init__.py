"""The record judged, not only its bytes: `audit verify`'s pass that folds
every aggregate from the log, in memory, and names each record the domain
would have refused when it was recorded (workflows.judge.court), with the
moments of the log that go back.

Never writes to the store it reads: what it folds is dropped at the end.
"""

from workflows.judge.court import SKEW, Court, judge
from workflows.judge.findings import LIMIT, Finding, Judgement

__all__ = ["LIMIT", "SKEW", "Court", "Finding", "Judgement", "judge"]
