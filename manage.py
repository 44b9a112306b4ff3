#!/usr/bin/env python
"""Django's command-line utility; ``parcours`` is the same thing under the project's name."""

from parcours.__main__ import main

if __name__ == "__main__":
    main()
