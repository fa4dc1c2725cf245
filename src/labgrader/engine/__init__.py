"""The grading engine: the check decorator and verdicts, the catalog, a grading run inside pytest, results."""
