"""In-memory fakes of the ports, for unit tests of the use cases."""
from __future__ import annotations

import io
import itertools
import tarfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class FakeContainer:
    id: str
    name: str
    status: str
    labels: dict[str, str]
    spec: dict
    exit_code: int = 0
    oom_killed: bool = False
    restart_count: int = 0
    started_at: str = ""
    finished_at: str = ""
    addresses: dict[str, str] = field(default_factory=dict)  # network -> IPv4
    port: int | None = None

    @property
    def address(self) -> str | None:
        """host:port the router should reach this container at (web processes only)."""
        ips = list(self.addresses.values())
        return f"{ips[0]}:{self.port}" if ips and self.port else None


class FakeEngine:
    def __init__(self, build_exit: int = 0, build_lines=("-----> Python app detected",),
                 result_files: dict[str, str] | None = None) -> None:
        self.containers: dict[str, FakeContainer] = {}
        self.images: dict[str, dict] = {}
        self.build_exit = build_exit
        self.build_lines = build_lines
        self.result_files = {"buildpack": "python\n", "release.yml": "default_process_types: {}\n"
                             } if result_files is None else result_files
        self.crash_processes: set[str] = set()  # process types whose containers exit at once
        self.ids = itertools.count(1)
        self.ips = itertools.count(2)
        self.removed_volumes: list[str] = []
        self.results_tar: bytes | None = None
        self.image_files: dict[tuple[str, str], bytes] = {}  # (image, path): tar, as get_archive
        self.build_networks: list[tuple[str | None, bool]] = []  # (name, existed during the build)
        self.networks: dict[str, dict] = {}
        self.host_subnets: list[str] = ["172.17.0.0/16"]
        self.steal_subnets: list[str] = []
        self.output: dict[str, list[tuple[str, str]]] = {}
        self.one_offs: list[str] = []
        self.run_timeouts: list[float | None] = []
        self.builds = 0
        self.build_specs: list[dict] = []
        self.image_configs: dict[str, dict] = {}
        self.docker_builds: list[dict] = []
        self.docker_build_error = ""
        self.build_files: dict[str, bytes] = {}  # more files a build (or finalize) leaves in /app
        self.trees: dict[str, bytes] = {}
        self.layers: dict[str, tuple[str, bytes]] = {}
        self.one_off_status = 0  # container id -> (timestamp, line)
        self.listeners = ""  # what `cat /proc/net/tcp*` prints in a container

    def image_exists(self, ref):
        return ref in self.images

    def remove_image(self, ref):
        if any(base == ref for other, (base, _) in self.layers.items() if other in self.images):
            return False  # Docker keeps an image that others are built on
        self.images.pop(ref, None)
        return True

    def find_images(self, labels):
        found = [(ref, lab) for ref, lab in self.images.items() if labels.items() <= lab.items()]
        return list(reversed(found))  # newest first

    def image_id(self, ref):
        return "sha256:stack"

    def run_build(self, spec, archives, on_line, timeout):
        self.builds += 1
        cid = f"c{next(self.ids)}"
        self.containers[cid] = FakeContainer(cid, spec["name"], "exited", spec["labels"], spec)
        # What the build leaves in RESULT_DIR comes out as a tar (a test may plant a link).
        self.trees[(cid, "/paas-results")] = self.results_tar or _with_files(b"", {
            f"paas-results/{name}": text.encode() for name, text in self.result_files.items()})
        self.build_networks.append((spec["network"], spec["network"] in self.networks))
        self.last_archives = dict(archives)
        self.build_specs.append(spec)
        self.trees[cid] = _with_files(_prefixed(self.last_archives["/app"], "app/"), {
            "app/.heroku/python/bin/python": b"", "app/.profile.d/python.sh": b"export X=1\n",
            **self.build_files})
        for line in self.build_lines:
            on_line(line)
        return cid, self.build_exit, False

    def build_image(self, context, *, tag, labels, buildargs, memory, on_line, timeout,
                    network=None):
        self.docker_builds.append({"context": context, "tag": tag, "labels": labels,
                                   "buildargs": buildargs, "memory": memory, "network": network})
        self.build_networks.append((network, network in self.networks))
        for line in ("Step 1/2 : FROM paas/stack:trixie", "Step 2/2 : CMD [\"serve\"]"):
            on_line(line)
        if self.docker_build_error:
            return None, self.docker_build_error, False
        self.images[tag] = labels
        return f"sha256:{tag}", "", False

    def read_tree(self, container_id, path, limit=None):
        data = self.trees[(container_id, path) if path != "/app" else container_id]
        return None if limit is not None and len(data) > limit else data

    def layer_image(self, base_image, archive, *, repository, tag, labels, workdir, env):
        self.images[f"{repository}:{tag}"] = labels
        self.layers[f"{repository}:{tag}"] = (base_image, archive)
        return f"sha256:{tag}"

    def network_exists(self, name):
        return name in self.networks

    def subnets_in_use(self):
        return [n["subnet"] for n in self.networks.values()] + self.host_subnets

    def create_network(self, name, labels, subnet):
        if subnet in self.steal_subnets:  # another platform took it between look and create
            self.steal_subnets.remove(subnet)
            self.host_subnets.append(subnet)
            return False
        self.networks[name] = {"labels": labels, "subnet": subnet}
        return True

    def remove_network(self, name):
        self.networks.pop(name, None)

    def exec_output(self, container_id, argv):
        return self.listeners

    def remove_volume(self, name):
        self.removed_volumes.append(name)

    def start(self, spec):
        cid = f"c{next(self.ids)}"
        crashed = spec["labels"].get("paas.process") in self.crash_processes
        port = spec.get("environment", {}).get("PORT")
        n = next(self.ips)
        self.containers[cid] = FakeContainer(cid, spec["name"], "exited" if crashed else "running",
                                             spec["labels"], spec, exit_code=1 if crashed else 0,
                                             addresses={spec["network"]: f"10.200.{n // 250}.{n % 250 + 2}"},
                                             port=int(port) if port else None)
        return cid

    def run_once(self, spec, on_line, timeout=None):
        self.run_timeouts.append(timeout)
        self.one_offs.append(spec["command"][-1])
        on_line(f"ran {spec['command'][-1]}")
        return self.one_off_status

    def read_image_file(self, image, path, labels, limit):
        data = self.image_files.get((image, path))
        return None if data is None or len(data) > limit else data

    def image_config(self, ref):
        return self.image_configs.get(ref, {"labels": self.images.get(ref, {}), "exposed": [],
                                            "user": "", "cmd": [], "entrypoint": []})

    def inspect(self, container_id):
        return self.containers.get(container_id)

    def list_containers(self, labels):
        return [c for c in self.containers.values() if labels.items() <= c.labels.items()]

    def count_containers(self, labels):
        return len(self.list_containers(labels))

    def log_lines(self, container_id, since=None, tail=None):
        lines = self.output.get(container_id, [])  # `since` is the caller's to filter on too
        return lines[-tail:] if tail else list(lines)

    def logs(self, container_id, tail=20):
        return "Traceback: boom\n" if container_id in self.containers else ""

    def stop(self, container_id, timeout=10):
        if container_id in self.containers:
            self.containers[container_id].status = "exited"

    def pause(self, container_id):
        c = self.containers.get(container_id)
        if c is None or c.status != "running":
            return False
        c.status = "paused"
        return True

    def unpause(self, container_id):
        c = self.containers.get(container_id)
        if c is None or c.status != "paused":
            return False
        c.status = "running"
        return True

    def remove_container(self, container_id):
        self.containers.pop(container_id, None)

    def running(self):
        return [c for c in self.containers.values() if c.status == "running"]


class FakeProbe:
    def __init__(self, status: int | None = 200, body: str = "hello") -> None:
        self.status = status
        self.body = body
        self.paths: list[str] = []

    def http_get(self, address, path="/", timeout=2.0):
        self.paths.append(path)
        return None if self.status is None else (self.status, self.body)


@dataclass
class FakeProxy:
    files: dict[str, str] = field(default_factory=dict)
    running: bool = False

    def ensure_running(self):
        self.running = True

    def apply_app(self, app, text):
        self.files[app] = text

    def remove_app(self, app):
        self.files.pop(app, None)

    def is_running(self):
        return self.running

    def read_app(self, app):
        return self.files.get(app)

    def read_platform(self, name):
        return self.files.get(f"platform:{name}")

    def apply_platform(self, name, text):
        self.files[f"platform:{name}"] = text

    def remove_platform(self, name):
        self.files.pop(f"platform:{name}", None)

    def reopen_logs(self):
        self.reopened = getattr(self, "reopened", 0) + 1


@dataclass
class FakeRepos:
    """Every commit is these files (app.py also names the commit)."""
    root: Path
    apps: set[str] = field(default_factory=set)
    heads: dict[str, str] = field(default_factory=dict)  # app -> commit its deployed branch names
    files: dict[str, bytes] = field(default_factory=lambda: {
        "requirements.txt": b"flask\n", "Procfile": b"web: gunicorn app:app\n"})

    def init(self, app):
        self.apps.add(app)
        return self.root / f"{app}.git"

    def remove(self, app):
        self.apps.discard(app)
        self.heads.pop(app, None)

    def head(self, app):
        return self.heads.get(app)

    def archive(self, app, sha):
        yield _with_files(b"", {f"app/{k}": v for k, v in {**self.files, "app.py": sha.encode()}.items()})


def _prefixed(data: bytes, prefix: str) -> bytes:
    """`data`'s members with `prefix` in front of their names (what get_archive of /app gives)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as dst, tarfile.open(fileobj=io.BytesIO(data)) as src:
        for member in src:
            file = src.extractfile(member) if member.isfile() else None
            member.name = prefix + member.name
            dst.addfile(member, file)
    return out.getvalue()


def _with_files(data: bytes, files: dict[str, bytes]) -> bytes:
    """A tar of `data`'s members plus `files`."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as dst:
        if data:
            with tarfile.open(fileobj=io.BytesIO(data)) as src:
                for member in src:
                    dst.addfile(member, src.extractfile(member) if member.isfile() else None)
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(body)
            dst.addfile(info, io.BytesIO(body))
    return out.getvalue()



def fake_services(home: Path, **overrides):
    """Real store, tokens and use cases over fake Docker, nginx, git and probe."""
    from paas.adapters.event_log import EventLog
    from paas.adapters.sqlite_store import SqliteStore
    from paas.bootstrap import wire
    from paas.settings import Settings
    from tests.fakes_data import FakeData

    # No standby unless a test turns it on: the others count the containers they see.
    settings = Settings(home=home, instance="t1", http_port=8080, drain_seconds=0,
                        standby_seconds=0)
    parts = dict(store=SqliteStore(settings.db_path), engine=FakeEngine(), repos=FakeRepos(home),
                 proxy=FakeProxy(), probe=FakeProbe(), events=EventLog(home / "events"),
                 data=FakeData())
    parts.update(overrides)
    if parts["data"] is not None and getattr(parts["data"], "engine", "") is None:
        parts["data"].engine = parts["engine"]  # one daemon: the same images and networks
    return wire(settings, **parts)


def self_signed(domains: list[str], key_pem: bytes | None = None, days: float = 90,
                start: float | None = None) -> tuple[bytes, bytes]:
    """A self-signed certificate (PEM) for `domains` and its key, valid from `start` for `days`."""
    from datetime import datetime, timedelta, timezone

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = serialization.load_pem_private_key(key_pem, None) if key_pem else \
        ec.generate_private_key(ec.SECP256R1())
    begin = datetime.fromtimestamp(start, timezone.utc) if start else datetime.now(timezone.utc)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, domains[0])])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(begin).not_valid_after(begin + timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]), False)
            .sign(key, hashes.SHA256()))
    return (cert.public_bytes(serialization.Encoding.PEM),
            key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))


@dataclass
class FakeAcme:
    """An ACME CA that signs at once: each certificate is self-signed for `days`."""
    days: float = 90
    directory: str = "https://acme.example.test/directory"
    issued: list = field(default_factory=list)
    refuse: str = ""

    def enabled(self):
        return True

    def thumbprint(self):
        return "THUMB"

    def issue(self, domain, key_pem, on_line):
        from paas.adapters.acme_client import AcmeError

        on_line(f"ordered a certificate for {domain}")
        if self.refuse:
            raise AcmeError(self.refuse)
        self.issued.append(domain)
        return self_signed([domain], key_pem, self.days)[0]

    def renewal_time(self, chain_pem):
        return None


@dataclass
class FakeSelfCheck:
    """Every domain points here, but those in `elsewhere` (domain -> (where, answer))."""
    elsewhere: dict = field(default_factory=dict)

    def fetch(self, domain, port, path, timeout=10.0):
        if domain in self.elsewhere:
            return self.elsewhere[domain]
        return "127.0.0.1:80", f"200 {path.rsplit('/', 1)[-1]}.THUMB"
