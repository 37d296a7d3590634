"""The platform's error types: a stable id, a one-line message and the HTTP status it maps to.

Use cases raise these; the API turns them into `{"id": ..., "message": ...}` and the CLI prints
the message on one line.
"""
from __future__ import annotations


class PaasError(Exception):
    id = "error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.output: list[str] = []  # progress lines written before it failed, for the user

    def to_dict(self) -> dict:
        out: dict = {"id": self.id, "message": self.message}
        if self.output:
            out["output"] = self.output
        return out


class BadRequest(PaasError):
    """The request itself is malformed (e.g. its body is not valid JSON)."""

    id = "bad_request"
    status = 400


class InvalidInput(PaasError):
    id = "invalid_params"
    status = 422


class UnsupportedMediaType(PaasError):
    id = "unsupported_media_type"
    status = 415


class NotFound(PaasError):
    id = "not_found"
    status = 404


class Conflict(PaasError):
    id = "conflict"
    status = 409


class Unauthorized(PaasError):
    id = "unauthorized"
    status = 401


class Forbidden(PaasError):
    """The caller is known, and no token may do this."""

    id = "forbidden"
    status = 403


class DeployFailed(PaasError):
    """A build, release step or health check failed; the running release is untouched."""

    id = "deploy_failed"
    status = 422

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail  # extra lines (e.g. a crashed container's last logs) shown before it
