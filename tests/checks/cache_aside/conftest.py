"""The `graded` fixture of the cache-aside and latency check tests (defined once, in graded.py)."""

from tests.checks.cache_aside.graded import graded  # noqa: F401 - re-exported as this folder's fixture
