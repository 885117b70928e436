"""Starting the service: bind checks, the bearer token, the model loaded once, uvicorn.

Loopback is the default; any other address needs --token-file, since the API would otherwise
score (and, with --allow-fetch, fetch) for anyone who can reach the port.
"""

from __future__ import annotations

import ipaddress
import sys
import time
from pathlib import Path

from ..errors import InputError
from .limits import ServeLimits


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it may resolve anywhere


def read_token(path: Path) -> str:
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"--token-file {path}: cannot read it ({exc})") from None
    if len(token) < 16 or any(ch.isspace() for ch in token):
        raise InputError(f"--token-file {path}: the token must be one line of at least 16 characters without "
                         "spaces (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))' > FILE`)")
    return token


def check_options(host: str, token_file: Path | None, allow_fetch: bool, allow_private_fetch: bool) -> str | None:
    """The token (or None), after the checks that need no model: they fail in well under a second."""
    if allow_private_fetch and not allow_fetch:
        raise InputError("--allow-private-fetch only makes sense with --allow-fetch")
    if token_file is None:
        if not is_loopback(host):
            raise InputError(f"--host {host} is not a loopback address: anyone who reaches it could use the API; "
                             "give --token-file FILE (clients then send 'Authorization: Bearer <token>')")
        return None
    return read_token(token_file)


def serve(model: Path | None, host: str = "127.0.0.1", port: int = 8000, device: str = "auto",
          token_file: Path | None = None, allow_fetch: bool = False, allow_private_fetch: bool = False,
          limits: ServeLimits | None = None, log=lambda line: print(line, file=sys.stderr)) -> None:
    token = check_options(host, token_file, allow_fetch, allow_private_fetch)
    t0 = time.perf_counter()
    import uvicorn

    from ..inference import Classifier
    from .app import create_app

    clf = Classifier.load(model, device=device)
    clf.predict_sentences(["A first sentence, so that no request pays for the first forward pass."])
    app = create_app(clf, limits or ServeLimits(), allow_fetch=allow_fetch, allow_private_fetch=allow_private_fetch,
                     token=token, device=getattr(clf.backend, "device", "cpu"), loopback_only=is_loopback(host))
    shown = f"[{host}]" if ":" in host else host
    log(f"framing serve: {clf.path} (version {clf.manifest.get('version')}, {clf.precision}) loaded in "
        f"{time.perf_counter() - t0:.1f} s; listening on http://{shown}:{port} "
        f"(token {'required' if token else 'off'}, URL fetching {'on' if allow_fetch else 'off'})")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, timeout_graceful_shutdown=5,
                server_header=False)
