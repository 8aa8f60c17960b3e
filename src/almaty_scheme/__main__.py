"""``python -m almaty_scheme`` runs the CLI."""

from almaty_scheme.cli import run

run()
