"""Tests of the distributed frontier (issue 13, item 4), against a real redis-server."""
