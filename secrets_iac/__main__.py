import sys

from secrets_iac.cli import main

sys.exit(main())
