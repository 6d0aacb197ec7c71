import sys

from itpark.cli import main

sys.exit(main())
