"""The shared leaf: what every package of the helpline stands on, and which imports nothing of ours.

`db` (the declarative Base, column types, the transaction helper), `clock`, `codes` (the base of stored
codes with French words), `config` (the schema of config.yaml and its value types), `settings` (what comes
from the environment) and `runtime` (what a running app hands its adapters).
"""
