"""Grading a class: the roster of accounts and grading each of them."""
