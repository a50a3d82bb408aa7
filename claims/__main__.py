"""`python -m claims`: the same entry point as the `claims` console script."""

import sys

from claims.cli import main

sys.exit(main())
