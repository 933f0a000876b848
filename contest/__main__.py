"""`python -m contest`: the same as the `contest` command."""

from contest.cli import app

app()
