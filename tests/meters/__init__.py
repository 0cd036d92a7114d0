"""Tests of the utility meters' Home Assistant side."""
