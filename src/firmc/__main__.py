"""``python -m firmc``: the command line (:mod:`firmc.cli`)."""

from .cli import main

raise SystemExit(main())
