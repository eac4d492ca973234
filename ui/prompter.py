"""The desktop's prompter lives in `ui.common.prompter`; this name is kept for existing imports."""

from ui.common.prompter import (
    FacilityPassphraseDialog,
    KeyPassphraseDialog,
    PinDialog,
    QtPrompter,
    _ask_secret,
)

__all__ = ["FacilityPassphraseDialog", "KeyPassphraseDialog", "PinDialog", "QtPrompter", "_ask_secret"]
