"""The OpenAPI 3 document of /api/v1, built from one table of operations. A test holds it
equal to the Flask routes, so the two cannot drift apart."""
from __future__ import annotations

import re

APP = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z][a-z0-9-]{0,29}$"}}}
OBJ = {"type": "object"}
ERROR = {"type": "object", "required": ["id", "message"],
         "properties": {"id": {"type": "string"}, "message": {"type": "string"},
                        "output": {"type": "array", "items": {"type": "string"}}}}

# (method, path, summary, request body schema or None, success status)
OPERATIONS = [
    ("get", "/health", "Platform health (no token needed)", None, 200),
    ("get", "/openapi.json", "This document", None, 200),
    ("get", "/apps", "List apps", None, 200),
    ("post", "/apps", "Create an app", APP, 201),
    ("get", "/apps/{name}", "App info: URL, git URL, release, processes", None, 200),
    ("delete", "/apps/{name}", "Destroy an app and everything it has", None, 200),
    ("get", "/apps/{name}/releases", "List releases, newest first (?limit=N)", None, 200),
    ("get", "/apps/{name}/releases/{version}", "A release and what it changed", None, 200),
    ("post", "/apps/{name}/releases/rollback", "Roll back code and config to version (default: the previous release)",
     {"type": "object", "properties": {"version": {"type": ["string", "null"]}}}, 201),
    ("get", "/apps/{name}/config", "Config vars", None, 200),
    ("patch", "/apps/{name}/config", "Set (string) or unset (null) config vars: one release",
     {"type": "object", "additionalProperties": {"type": ["string", "null"]}}, 200),
    ("get", "/apps/{name}/ps", "Formation and processes", None, 200),
    ("post", "/apps/{name}/ps/scale", "Scale process types",
     {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}, 200),
    ("post", "/apps/{name}/ps/restart", "Restart all processes or one type",
     {"type": "object", "properties": {"type": {"type": ["string", "null"]}}}, 200),
    ("post", "/apps/{name}/run", "Run a one-off command; streams JSON lines, the last has the exit status",
     {"type": "object", "required": ["command"], "properties": {"command": {"type": "array", "items": {"type": "string"}}}}, 200),
    ("get", "/apps/{name}/resources", "Resource limits", None, 200),
    ("patch", "/apps/{name}/resources", "Set resource limits",
     {"type": "object", "properties": {"process": {"type": ["string", "null"]}, "limits": OBJ}}, 200),
    ("get", "/apps/{name}/logs", "Logs (?lines=N; ?tail=1 streams text/plain)", None, 200),
    ("get", "/apps/{name}/domains", "Host names the app is served at", None, 200),
    ("post", "/apps/{name}/domains", "Add a domain",
     {"type": "object", "required": ["domain"], "properties": {"domain": {"type": "string"}}}, 201),
    ("delete", "/apps/{name}/domains/{domain}", "Remove a domain", None, 200),
    ("get", "/apps/{name}/builds", "Builds, newest first", None, 200),
    ("get", "/apps/{name}/builds/{build_id}", "A build with its full output", None, 200),
    ("get", "/tokens", "API tokens (names)", None, 200),
    ("post", "/tokens", "Create a named token (its value is returned once)", APP, 201),
    ("delete", "/tokens/{name}", "Revoke a token", None, 200),
]


def document() -> dict:
    paths: dict = {}
    for method, path, summary, body, status in OPERATIONS:
        op: dict = {
            "summary": summary,
            "parameters": [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                           for p in re.findall(r"{(\w+)}", path)],
            "responses": {
                str(status): {"description": "success", "content": {"application/json": {"schema": OBJ}}},
                "default": {"description": "error", "content": {"application/json": {"schema": ERROR}}},
            },
        }
        if body is not None:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        if path == "/health":
            op["security"] = []
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.0.3",
        "info": {"title": "paas API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }
