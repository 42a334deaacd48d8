"""The rule catalogue: one rule per module, grouped by area (shipped as rumpolicy.rules)."""
