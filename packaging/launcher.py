"""The PyInstaller bundle's entry point: the ``workbench`` command, as the wheel installs it."""

from workbench.cli import main

raise SystemExit(main())
