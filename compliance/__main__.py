"""``python -m compliance``: the same command line as the ``compliance`` script."""
from compliance.cli import main

raise SystemExit(main())
