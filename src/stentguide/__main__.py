"""``python -m stentguide``: the same as the ``stentguide`` command."""

from stentguide.cli import main

main()
