"""Repository-level pytest configuration.

`fixtures/` holds Python that must never be collected as tests (the dataset generator, reference and deliberately
broken cache-aside modules) and `reports/` holds generated output.
"""

collect_ignore = ["fixtures", "reports"]
