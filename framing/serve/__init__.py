"""`framing serve`: the shipped model as an HTTP service on one machine.

`app` (routes, validation, error bodies), `batching` (the queue that merges concurrent requests
into one model call, off the event loop), `fetch` (URL fetching with address checks per hop),
`page` (the page at `/` and the offline `/docs`), `limits` (every cap of the service),
`server` (bind checks, bearer token, uvicorn).
"""

from __future__ import annotations

from .limits import ServeLimits

__all__ = ["ServeLimits"]
