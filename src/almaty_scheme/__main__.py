"""``python -m almaty_scheme`` runs the CLI."""

import sys

from almaty_scheme.cli import main

sys.exit(main())
