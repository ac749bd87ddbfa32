"""`python -m webhooks.cli`: the same as the `iagente` command."""

import sys

from webhooks.cli.main import main

sys.exit(main())
