"""The OpenAPI 3 document of /api/v1, built from one table of operations. Tests hold it equal
to the Flask routes, and call every streaming operation with its documented example body, so
the two cannot drift apart."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from paas.domain.names import APP_NAME_RE
from paas.server.metrics_openapi import APP_ITEM, SERIES

NAME = {"type": "string", "pattern": f"^{APP_NAME_RE.pattern}$"}
OBJ = {"type": "object"}
NULLABLE_STR = {"type": "string", "nullable": True}
ERROR = {"type": "object", "required": ["id", "message"],
         "properties": {"id": {"type": "string"}, "message": {"type": "string"},
                        "output": {"type": "array", "items": {"type": "string"},
                                   "description": "lines the operation wrote before it failed"}}}
EVENT = {"oneOf": [
    {"type": "object", "required": ["line"], "properties": {"line": {"type": "string"}}},
    {"type": "object", "required": ["result"], "properties": {"result": OBJ}},
    {"type": "object", "required": ["error"], "properties": {"error": ERROR}},
]}
STREAMING = ("A long operation. With `Accept: application/x-ndjson` the answer is a stream of "
             "JSON lines as they happen: `{\"line\": ...}` for each progress line, then "
             "`{\"result\": {...}}` or `{\"error\": {\"id\", \"message\"}}`. An error before any "
             "progress is an ordinary error answer with its status. Otherwise one JSON answer "
             "at the end, with the progress lines in `output`.")
ERRORS = {
    "400": "the body is not valid JSON", "401": "no token, or an unknown one",
    "403": "this token may not do this (e.g. an app token on an admin route)",
    "404": "no such app (or not one of an app token's apps), or no such thing of the app",
    "409": "conflicts with the app's state", "413": "the body is over 1 MiB",
    "415": "the body is not JSON", "422": "invalid input, e.g. a bad name or key",
}

# A self-signed certificate for hello.localhost until 2126, and its key: a throwaway example.
EXAMPLE_CERT = """-----BEGIN CERTIFICATE-----
MIIBpjCCAU2gAwIBAgIUI1UeSWxYiPevVm3Fy3KDHKuL2EYwCgYIKoZIzj0EAwIw
GjEYMBYGA1UEAwwPaGVsbG8ubG9jYWxob3N0MCAXDTI2MTIwMjE4MTMwMVoYDzIx
MjYxMTA4MTgxMzAxWjAaMRgwFgYDVQQDDA9oZWxsby5sb2NhbGhvc3QwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAQXI8P7S6/2Ef48VM/7BZE5n0J8ZsNHfOgGvdq5
BFtZ+YaQwF7WOE8L4n/6JYI/rIxDlLGWWEYI+LkO2FOirZEAo28wbTAdBgNVHQ4E
FgQUTM51FIZOimcH5/bfZ7m7ps5PIy8wHwYDVR0jBBgwFoAUTM51FIZOimcH5/bf
Z7m7ps5PIy8wDwYDVR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgg9oZWxsby5sb2Nh
bGhvc3QwCgYIKoZIzj0EAwIDRwAwRAIgGk5wsIL4jCJelSEWmve6BJ6DQ5Gca2kA
ReJ5v48rO7YCIEGWdjY4lsu9So6TJf6ThvhxH2cjYAfHFxMdumoSXyfR
-----END CERTIFICATE-----
"""
EXAMPLE_KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPcWCUCB1cQNrX5Z6
Ykh+mKdD6JkKqvOOP1srC/BLesWhRANCAAQXI8P7S6/2Ef48VM/7BZE5n0J8ZsNH
fOgGvdq5BFtZ+YaQwF7WOE8L4n/6JYI/rIxDlLGWWEYI+LkO2FOirZEA
-----END PRIVATE KEY-----
"""


@dataclass(frozen=True)
class Op:
    method: str
    path: str
    summary: str
    status: int = 200
    body: dict | None = None      # request body schema
    example: dict | None = None   # a valid body (tests send it)
    optional_body: bool = False
    streams: bool = False
    query: dict = field(default_factory=dict)  # name -> schema
    errors: tuple[str, ...] = ()
    text: bool = False            # answers text/plain
    binary: str = ""              # answers a file of this media type (an archive, a backup)


def _obj(required: tuple[str, ...] = (), **props) -> dict:
    out: dict = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = list(required)
    return out


OPERATIONS = [
    Op("get", "/health", "Platform health (no token needed): status, the server's release "
                         "(version) and its state's schema version (state_version); every "
                         "answer also names the release in a Paas-Version header"),
    Op("get", "/openapi.json", "This document"),
    Op("get", "/apps", "List apps, each with its requests per minute and 5xx share over the "
                       "last 5 minutes (`rates`)"),
    Op("post", "/apps", "Create an app", 201, _obj(("name",), name=NAME), {"name": "hello"},
       errors=("409",)),
    Op("get", "/apps/{name}", "App info: URL, git URL, release, processes"),
    Op("delete", "/apps/{name}", "Destroy an app and everything it has: containers, images, "
                                 "network, volumes, nginx file, repository, config, releases"),
    Op("get", "/apps/{name}/releases", "List releases, newest first",
       query={"limit": {"type": "integer", "minimum": 1}}),
    Op("get", "/apps/{name}/releases/{version}", "A release and what it changed"),
    Op("post", "/apps/{name}/releases/rollback",
       "Roll back code and config to version (default: the previous good release)", 201,
       _obj(version={**NULLABLE_STR, "description": "vN or N"}), {"version": None}, optional_body=True, streams=True,
       errors=("409",)),
    Op("get", "/apps/{name}/config", "Config vars"),
    Op("patch", "/apps/{name}/config", "Set (string) or unset (null) config vars: one release",
       body={"type": "object", "additionalProperties": NULLABLE_STR}, example={"GREETING": "hi"},
       streams=True),
    Op("get", "/apps/{name}/ps", "Formation and processes"),
    Op("post", "/apps/{name}/ps/scale", "Scale process types (no release)",
       body={"type": "object", "additionalProperties": {"type": "integer", "minimum": 0,
                                                       "maximum": 50}},
       example={"web": 2}, streams=True, errors=("409",)),
    Op("post", "/apps/{name}/ps/restart", "Restart all processes or one type, rolling",
       body=_obj(type=NULLABLE_STR), example={"type": None}, optional_body=True, streams=True,
       errors=("409",)),
    Op("post", "/apps/{name}/run", "Run a one-off command; the result carries its exit status "
       "(124 when it was stopped at its timeout, default 3600 s)",
       body=_obj(("command",), command={"type": "array", "items": {"type": "string"}},
                 timeout={"type": "number", "minimum": 1, "maximum": 86400}),
       example={"command": ["python", "-V"]}, streams=True, errors=("409",)),
    Op("get", "/apps/{name}/resources", "Resource limits (`*` applies to every process type)"),
    Op("patch", "/apps/{name}/resources", "Set resource limits; restarts what they apply to",
       body=_obj(("limits",), process=NULLABLE_STR,
                 limits={"type": "object", "additionalProperties": {"type": "string"}}),
       example={"process": None, "limits": {"memory": "512m"}}, streams=True),
    Op("get", "/apps/{name}/logs", "Logs; with tail=1 a live text/plain stream; with release=N "
                                   "only that release's containers (kept stopped ones too)",
       text=True,
       query={"lines": {"type": "integer", "minimum": 1, "maximum": 10000},
              "release": {"type": "integer", "minimum": 1, "maximum": 10**9},
              "tail": {"type": "string", "enum": ["0", "1", "true", "false"]}}),
    Op("get", "/apps/{name}/metrics", "Per-minute requests, responses by status class, "
                                      "p50/p95/p99 latency (total and upstream, ms), per process "
                                      "type CPU %, memory and limit, restarts, OOM kills, and "
                                      "the releases made in the window",
       query={"since": {"type": "string", "enum": ["5m", "15m", "1h", "6h", "24h"]}}),
    Op("get", "/apps/{name}/domains", "Host names the app is served at"),
    Op("post", "/apps/{name}/domains", "Add a domain", 201,
       _obj(("domain",), domain={"type": "string"}), {"domain": "www.example.test"},
       errors=("409",)),
    Op("delete", "/apps/{name}/domains/{domain}", "Remove a domain"),
    Op("get", "/apps/{name}/certs", "Each domain's certificate: source, issuer, expiry, state "
                                    "(valid, renewing, failed, none), next renewal, last error"),
    Op("post", "/apps/{name}/certs", "Install a manual certificate (PEM chain and key) for the "
                                     "app's domains in its SANs; it wins over ACME", 201,
       _obj(("cert", "key"), cert={"type": "string"}, key={"type": "string"}),
       {"cert": EXAMPLE_CERT, "key": EXAMPLE_KEY}),
    Op("delete", "/apps/{name}/certs/{domain}", "Remove a domain's certificate (manual first)"),
    Op("post", "/apps/{name}/certs/auto", "Automatic certificates (ACME) for every domain of the "
                                          "app, now and added later; orders what is due", 200,
       _obj(), {}, optional_body=True, streams=True, errors=("409",)),
    Op("delete", "/apps/{name}/certs/auto", "Automatic certificates off (ACME ones removed)"),
    Op("patch", "/apps/{name}/tls", "Redirect plain HTTP to HTTPS (default on), HSTS (default off)",
       body=_obj(redirect={"type": "boolean"}, hsts={"type": "boolean"}),
       example={"redirect": False}),
    Op("get", "/control-plane/certs", "The certificate of PAAS_API_HOST"),
    Op("post", "/control-plane/certs", "Install a manual certificate for PAAS_API_HOST", 201,
       _obj(("cert", "key"), cert={"type": "string"}, key={"type": "string"})),
    Op("delete", "/control-plane/certs/{domain}", "Remove PAAS_API_HOST's certificate"),
    Op("get", "/apps/{name}/builds", "Builds, newest first"),
    Op("post", "/apps/{name}/builds",
       "Build the commit last pushed again and deploy it, as a push does", 201, _obj(), {},
       optional_body=True, streams=True, errors=("409",)),
    Op("get", "/apps/{name}/builds/{build_id}", "A build with its full output"),
    Op("get", "/tokens", "API tokens: name, role, apps, who made it, last use (admin only)"),
    Op("post", "/tokens", "Create a named token, admin or for some apps (its value is returned "
       "once; admin only)", 201,
       _obj(("name",), name=NAME, admin={"type": "boolean"},
            apps={"type": "array", "items": NAME}), {"name": "ci", "apps": ["hello"]},
       errors=("409",)),
    Op("delete", "/tokens/{name}", "Revoke a token and every token it made (not the admin "
       "token, not the caller's own; admin only)", errors=("403",)),
    Op("get", "/token", "The calling token: its name, role and apps"),
    Op("get", "/apps/{name}/storage", "The app's named volumes and where each is mounted"),
    Op("post", "/apps/{name}/storage/mounts", "Mount a named volume (NAME:/path) in every "
       "process: a new release, as a config change is", 201,
       _obj(("mount",), mount={"type": "string"}), {"mount": "uploads:/app/uploads"},
       streams=True, errors=("409",)),
    Op("delete", "/apps/{name}/storage/mounts/{volume}", "Unmount a volume (its data stays): a "
       "new release", streams=True),
    Op("delete", "/apps/{name}/storage/{volume}", "Destroy an unmounted volume and its data "
       "(?confirm=APP)", query={"confirm": {"type": "string"}}, errors=("409",)),
    Op("get", "/services", "Datastores (Postgres, Redis): kind, version, state, size, links"),
    Op("post", "/services", "Create a datastore (the image is built on the stack if missing)",
       201, _obj(("kind", "name"), kind={"type": "string", "enum": ["postgres", "redis"]},
                 name=NAME), {"kind": "redis", "name": "cache"}, streams=True,
       errors=("409",)),
    Op("get", "/services/{service}", "One datastore; its URL only for tokens allowed on a "
                                     "linked app"),
    Op("delete", "/services/{service}", "Destroy a datastore (?confirm=NAME, &unlink=1 to unlink "
       "its apps first); a final backup is kept", streams=True,
       query={"confirm": {"type": "string"}, "unlink": {"type": "string", "enum": ["0", "1"]}},
       errors=("409",)),
    Op("get", "/services/{service}/logs", "The server's recent output", text=True,
       query={"lines": {"type": "integer", "minimum": 1, "maximum": 10000}}),
    Op("post", "/services/{service}/connect", "Run psql / redis-cli on the service's network "
       "with `input` as its standard input (services:connect): its output, its exit status",
       200, _obj(("input",), input={"type": "string", "maxLength": 524288}),
       {"input": "SELECT 1;"}, streams=True),
    Op("post", "/services/{service}/links", "Link an app: joins its network, sets DATABASE_URL "
       "/ REDIS_URL (or `as`) as one release", 201,
       _obj(("app",), app=NAME, **{"as": NULLABLE_STR}), streams=True, errors=("409",)),
    Op("delete", "/services/{service}/links/{app}", "Unlink an app: unsets its var, one release",
       streams=True),
    Op("get", "/services/{service}/backups", "Backups, newest first"),
    Op("post", "/services/{service}/backups", "Back up now (pg_dump -Fc / Redis RDB)", 201,
       _obj(), optional_body=True),
    Op("post", "/services/{service}/backups/{backup_id}/restore", "Restore a backup; what it "
       "replaces is backed up first", body=_obj(), optional_body=True, streams=True),
    Op("get", "/services/{service}/backups/{backup_id}", "Download a backup (services:export)",
       binary="application/octet-stream"),
    Op("put", "/services/{service}/backups/upload", "Upload a backup (services:import): the "
       "file as application/octet-stream; kept as one more backup to restore", 201,
       errors=("415",)),
    Op("get", "/apps/{name}/export", "The app as one archive (apps:export): manifest with "
       "sha256s, config, domains, formation, resources, mounts, links, release history",
       binary="application/x-tar"),
    Op("put", "/app-imports/{target}", "Recreate an exported app under an unused name "
       "(apps:import): the archive as application/x-tar, verified whole first", 201,
       errors=("409", "415", "422")),
    Op("get", "/platform/backup", "The whole platform as one archive (platform:backup): an "
       "online copy of its state, repositories, certificates, service backups and every app's "
       "export", binary="application/x-tar"),
    Op("put", "/platform-restores", "Import every app of a platform backup into this platform "
       "(which has no apps yet) and deploy it (platform:restore)", 201,
       errors=("409", "415", "422")),
    Op("get", "/nodes", "The swarm's nodes: address, role, state, availability, processes, "
       "memory (PAAS_SCHEDULER=swarm)", errors=("409",)),
    Op("get", "/nodes/join-command", "What to run on a new host: trust the registry's CA, "
       "then docker swarm join", errors=("409",)),
    Op("post", "/nodes/{node}/drain", "Move a node's processes elsewhere with zero downtime, "
       "then drain it; its progress lines are in `output`", body=_obj(), optional_body=True,
       errors=("409", "422")),
    Op("post", "/nodes/{node}/activate", "Bring a drained node back", body=_obj(),
       optional_body=True, errors=("409", "422")),
    Op("delete", "/nodes/{node}", "Remove a drained or dead worker node", errors=("409", "422")),
]


# Operations whose answer is a JSON array (a listing), not an object, and what it holds; found
# by schemathesis (tests/faults/test_api_fuzz.py).
LISTS = {("get", "/apps"): APP_ITEM, ("get", "/apps/{name}/releases"): OBJ,
         ("get", "/apps/{name}/builds"): OBJ, ("get", "/apps/{name}/certs"): OBJ,
         ("get", "/apps/{name}/domains"): {"type": "string"},
         ("post", "/apps/{name}/domains"): {"type": "string"},
         ("get", "/control-plane/certs"): OBJ, ("get", "/tokens"): OBJ,
         ("delete", "/apps/{name}/certs/auto"): OBJ, ("get", "/apps/{name}/storage"): OBJ,
         ("get", "/services"): OBJ, ("get", "/services/{service}/backups"): OBJ,
         ("get", "/nodes"): OBJ}
# Operations whose answer's schema is spelled out.
ANSWERS = {("get", "/apps/{name}/metrics"): SERIES}


def _responses(op: Op) -> dict:
    items = LISTS.get((op.method, op.path))
    body = ANSWERS.get((op.method, op.path), OBJ) if items is None else \
        {"type": "array", "items": items}
    success = {"text/plain": {"schema": {"type": "string"}}} if op.text else \
        {op.binary: {"schema": {"type": "string", "format": "binary"}}} if op.binary else \
        {"application/json": {"schema": body}}
    out: dict = {str(op.status): {"description": "success", "content": success}}
    if op.streams:
        stream = {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Event"}}}
        if op.status == 200:
            out["200"]["content"].update(stream)
        else:
            out["200"] = {"description": "streamed progress", "content": stream}
    codes = ["401"] if op.path != "/health" else []
    codes += ["404"] if "{" in op.path else []
    codes += ["400", "413", "415", "422"] if op.body else []
    codes += ["422"] if op.query or "{version}" in op.path else []
    for code in sorted(set(codes) | set(op.errors)):
        out[code] = {"$ref": f"#/components/responses/{code}"}
    out["default"] = {"$ref": "#/components/responses/default"}
    return out


def _operation(op: Op) -> dict:
    out: dict = {
        "summary": op.summary,
        "operationId": re.sub(r"\W+", "_", f"{op.method}{op.path}").strip("_"),
        "parameters": [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                       for p in re.findall(r"{(\w+)}", op.path)]
        + [{"name": q, "in": "query", "required": False, "schema": s} for q, s in op.query.items()],
        "responses": _responses(op),
    }
    if op.streams:
        out["description"] = STREAMING
    if op.body is not None:
        out["requestBody"] = {"required": not op.optional_body, "content": {
            "application/json": {"schema": op.body, "example": op.example}}}
    if op.path == "/health":
        out["security"] = []
    return out


def document() -> dict:
    paths: dict = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": "paas API", "version": "1",
                 "description": "Errors are {\"id\", \"message\"} with the status below."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR, "Event": EVENT},
            "responses": {code: {"description": text, "content": error}
                          for code, text in {**ERRORS, "default": "another error"}.items()},
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
