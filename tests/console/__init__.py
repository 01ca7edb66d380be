"""Tests of the operator and staff console."""
