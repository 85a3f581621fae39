"""Reliability and security suite (issue 6): hostile pages, faults and property tests."""
