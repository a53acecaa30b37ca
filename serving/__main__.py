"""``python -m vigia.serving``: start the Vigía KServe model server (see ``--help``)."""

import sys

from vigia.serving.server import main

sys.exit(main())
