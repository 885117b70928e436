"""The one error the service answers with: a status and a JSON body naming what was wrong.

Body: {"error": {"code", "message", "field"?, "limit"?, "max"?}}; `field` is the request field at
fault (422), `limit` the `ServeLimits` field that was exceeded (413, 504, 503).
"""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, *, field: str | None = None,
                 limit: str | None = None, max: float | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.field, self.limit, self.max = field, limit, max

    def body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message}
        for key in ("field", "limit", "max"):
            if getattr(self, key) is not None:
                error[key] = getattr(self, key)
        return {"error": error}


def too_large(limit: str, max_value: float, what: str, env: str) -> ApiError:
    return ApiError(413, "limit_exceeded", f"{what} exceeds {limit}={max_value:g}; send less per request "
                    f"or raise {env}", limit=limit, max=max_value)
