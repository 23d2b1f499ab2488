"""Linking a ruleset's extends chain: each file's parameters, sections, assumptions, rules,
exceptions and disabled rules merged in order (the farthest parent first), with ``override let``,
``override rule`` and ``disable ... because`` applied, and every clash reported. The checker
(``compliance.dsl.checker``) then types what the chain links to."""
from __future__ import annotations

import datetime as _dt
from dataclasses import replace
from typing import Any

from compliance.dsl import ast
from compliance.dsl import types as T
from compliance.dsl.model import ParamDef


class ChainLinker:
    """The linking half of the checker. It reports through ``self.error`` and ``self._suggest``
    and types parameter values with ``self.infer``, which the checker provides."""

    sections: dict[str, ast.Section]
    rule_sections: dict[str, str]
    assumptions: dict[str, ast.Assumption]
    error: Any
    _suggest: Any
    infer: Any

    def _merge_file(self, file: ast.RulesetFile, params: dict[str, ParamDef],
                    rules: dict[str, ast.Rule], exceptions: dict[str, ast.Exception_],
                    disabled: dict[str, tuple[str, str, str]]) -> None:
        self._check_header(file)
        own_ids: set[str] = set()
        section = ""  # the section the items that follow belong to, in this file
        for item in file.items:
            if isinstance(item, ast.Param):
                self._merge_param(item, file.name, params)
            elif isinstance(item, ast.Section):
                if item.name in self.sections:
                    self.error(item.span, f"section {item.name} is already defined in "
                               f"{self.sections[item.name].ruleset}")
                    continue
                self.sections[item.name] = replace(item, ruleset=file.name)
                section = item.name
            elif isinstance(item, ast.Assumption):
                if item.rule_id in own_ids or item.rule_id in rules or item.rule_id in self.assumptions:
                    self.error(item.span, f"rule id {item.rule_id} is defined twice")
                    continue
                own_ids.add(item.rule_id)
                self.assumptions[item.rule_id] = replace(item, ruleset=file.name)
            elif isinstance(item, ast.Rule):
                item = replace(item, ruleset=file.name)
                if item.rule_id in own_ids or item.rule_id in exceptions:
                    self.error(item.span, f"rule id {item.rule_id} is defined twice")
                    continue
                own_ids.add(item.rule_id)
                if item.override:
                    if item.rule_id not in rules:
                        self.error(item.span, f"override rule {item.rule_id}: no rule of that id in "
                                   f"the rulesets this one extends{self._suggest(item.rule_id, list(rules))}")
                        continue
                    rules[item.rule_id] = _override(rules[item.rule_id], item)
                elif item.rule_id in rules:
                    self.error(item.span, f"rule {item.rule_id} is already defined in "
                               f"{rules[item.rule_id].ruleset}; write 'override rule' to change it")
                else:
                    rules[item.rule_id] = item
                    if section:
                        self.rule_sections[item.rule_id] = section
            elif isinstance(item, ast.Exception_):
                item = replace(item, ruleset=file.name)
                if item.rule_id in exceptions or item.rule_id in rules:
                    self.error(item.span, f"rule id {item.rule_id} is defined twice")
                    continue
                exceptions[item.rule_id] = item
            elif isinstance(item, ast.Disable):
                if item.rule_id not in rules:
                    self.error(item.span, f"cannot disable {item.rule_id}: no rule of that id"
                               f"{self._suggest(item.rule_id, list(rules))}")
                elif not item.reason.strip():
                    self.error(item.span, f"disabling {item.rule_id} needs a stated reason")
                else:
                    disabled[item.rule_id] = (item.rule_id, item.reason, file.name)

    def _check_header(self, file: ast.RulesetFile) -> None:
        seen: set[str] = set()
        for keyword, value, span in file.header:
            if keyword in seen and keyword != "source":
                self.error(span, f"'{keyword}' is given twice")
            seen.add(keyword)
        if "version" not in seen:
            self.error(file.span, f"ruleset {file.name} has no version")

    def _merge_param(self, param: ast.Param, ruleset: str, params: dict[str, ParamDef]) -> None:
        if param.name in T.CONTEXT_NAMES:
            self.error(param.span, f"'{param.name}' is a reserved name")
            return
        existing = params.get(param.name)
        if existing is not None and existing.ruleset == ruleset:
            self.error(param.span, f"parameter {param.name} is defined twice")
            return
        if existing is not None and not param.override:
            self.error(param.span, f"parameter {param.name} is already defined in {existing.ruleset}; "
                       f"write 'override let {param.name} = ...' to change it")
            return
        if existing is None and param.override:
            self.error(param.span, f"override let {param.name}: no parameter of that name in the "
                       f"rulesets this one extends{self._suggest(param.name, list(params))}")
            return
        scope = T.Scope({name: p.type for name, p in params.items()}, T.record({}))
        value_types = [self.infer(value.value, scope, allow_document=False) for value in param.values]
        first = value_types[0]
        for value, value_type in zip(param.values[1:], value_types[1:]):
            if not T.compatible(first, value_type):
                self.error(value.span, f"parameter {param.name}: {value_type} where the first value is {first}")
        dates = [value.effective for value in param.values]
        undated = [value for value in param.values if value.effective is None]
        if len(undated) > 1:
            self.error(undated[1].span, f"parameter {param.name} has more than one value without a date")
        dated = [d for d in dates if d is not None]
        if len(set(dated)) != len(dated):
            self.error(param.span, f"parameter {param.name} has two values for the same date")
        if existing is not None and not T.compatible(existing.type, first):
            self.error(param.span, f"parameter {param.name} is {existing.type} in {existing.ruleset}, "
                       f"not {first}")
        ordered = tuple(sorted(param.values, key=lambda v: (v.effective is not None,
                                                            v.effective or _dt.date.min)))
        params[param.name] = ParamDef(param.name, ordered, first, ruleset, param.span)


def _override(parent: ast.Rule, child: ast.Rule) -> ast.Rule:
    """A child's ``override rule`` replaces the clauses it states and keeps the parent's others."""
    given = {clause.keyword for clause in child.clauses}
    kept = tuple(clause for clause in parent.clauses if clause.keyword not in given)
    return replace(child, clauses=kept + child.clauses, override=True,
                   inherited_from=parent.inherited_from or parent.ruleset,
                   overridden=tuple(sorted(given | set(parent.overridden))))
