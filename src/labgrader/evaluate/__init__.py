"""Pure evaluation helpers: an API answer and the spec in, findings out. Unit-tested without any endpoint."""
