"""The desktop app (PySide6). Importing it first guards against PySide6's `None` reference fault on
Python 3.11 (`ui.common.qtguard`)."""

from ui.common.qtguard import protect_none

protect_none()
