"""Tests of `rumpolicy init`."""
