"""Errors a user can act on. Each carries a code and says what is wrong and how to fix it.

Library code raises these; only the CLI turns them into a one-line message and an exit code.
"""

from __future__ import annotations


class FramingError(Exception):
    """Base class: `code` is stable so users can search for it."""

    code = "E000"

    def __init__(self, message: str):
        super().__init__(f"[{self.code}] {message}")


class DataDirError(FramingError):
    code = "E001"


class CorpusError(FramingError):
    code = "E002"


class ModelLoadError(FramingError):
    code = "E003"


class InputError(FramingError):
    code = "E004"


class AnnotationError(FramingError):
    code = "E005"


class OutputError(FramingError):
    code = "E006"


class TrainingError(FramingError):
    code = "E007"
