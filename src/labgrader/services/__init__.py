"""What checks use, one package per service: lookups, pure evaluation, hint builders, scratch helpers and the
fixtures the plugin registers."""
