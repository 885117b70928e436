"""framing: sentence-level persuasion-technique and geopolitical-frame classification for news."""

from .version import __version__

__all__ = ["Classifier", "__version__"]


def __getattr__(name):
    # Lazy so that `import framing` stays cheap for the CLI's --help and for data-only commands.
    if name == "Classifier":
        from .inference import Classifier

        return Classifier
    raise AttributeError(name)
