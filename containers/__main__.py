"""`python -m inferline.containers` is the `inferline` command."""

import sys

from inferline.containers.cli import main

sys.exit(main())
