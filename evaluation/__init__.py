"""Lead-authority evaluators' pages: the applications submitted in each window."""
