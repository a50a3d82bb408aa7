"""The rule set a process runs with: the built-in tables, with RULES_OVERRIDES_FILE applied.

The one loader for the worker, `claims readjudicate` and the tests. Every way an overrides file
can be wrong (unreadable, not JSON, a key or row the tables do not know) comes out as BadRules,
whose message names the file and the cause, so a command can print it as one line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from services.config import Settings
from services.rules import MissingRule, RuleSet, default_rules, shadowed_overrides


class BadRules(ValueError):
    """The overrides file cannot be read or applied; the message names the file and the cause."""


def load_rules(path: Path | None, warn: Callable[[str], None] | None = None) -> RuleSet:
    """The built-in rules with the overrides file at `path` applied (None: the built-in rules).

    `warn` hears of every override row that a later built-in row cuts short
    (services.rules.shadowed_overrides): it would change fewer claims than it seems to.
    """
    rules = default_rules()
    if path is None:
        return rules
    try:
        text = path.read_text(encoding="utf-8")
        loaded = rules.with_json_overrides(text)
        if warn is not None:
            for note in shadowed_overrides(rules, json.loads(text)):
                warn(note)
        return loaded
    except OSError as e:
        raise BadRules(f"{path}: cannot read: {e.strerror or e}") from e
    except json.JSONDecodeError as e:
        raise BadRules(f"{path}: not JSON: {e.msg} at line {e.lineno} column {e.colno}") from e
    except (MissingRule, ValueError, TypeError) as e:
        raise BadRules(f"{path}: {e}") from e


def rules_from_settings(settings: Settings, warn: Callable[[str], None] | None = None) -> RuleSet:
    """The rules the settings name (RULES_OVERRIDES_FILE, or the built-in rules)."""
    return load_rules(settings.rules_overrides_file, warn)


def read_overrides(path: Path | None) -> dict[str, object]:
    """The overrides file as a mapping (after `load_rules` accepted it), {} without one."""
    if path is None:
        return {}
    loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
    return loaded
