"""`python -m openproton`: the `openproton` command."""

from openproton.cli import main

raise SystemExit(main())
