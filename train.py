"""Thin shim: `python train.py --model transformer ...` is `framing train --model transformer ...`."""

import sys

from framing.cli import main

if __name__ == "__main__":
    sys.argv = [sys.argv[0], "train", *sys.argv[1:]]
    main()
