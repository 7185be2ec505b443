"""Workflow rules: the rule file format, the rules shipped with Accord, and
how a rule turns a recorded event into tasks."""

from workflows.rules.files import RulesError, default_rules_path, load_rules
from workflows.rules.model import Due, Rule, RuleSet

__all__ = ["Due", "Rule", "RuleSet", "RulesError", "default_rules_path", "load_rules"]
