"""`make serve REPLICAS=N`: N Streamlit replicas of the app behind HAProxy on one machine.

    .venv/bin/python -m deploy.serve --replicas 2 --port 8501

Installs HAProxy (the Debian package) when it is missing, writes deploy/haproxy.cfg from
deploy/haproxy.cfg.template (one ``server`` line per replica, cookie affinity), starts the replicas on
127.0.0.1 at the ports after ``--port`` with one shared cookie secret (so that a browser moved to
another replica keeps a valid XSRF cookie), waits until each answers its health check, then runs
HAProxy in the foreground on ``--address:--port``. Ctrl-C (or SIGTERM) stops all of them.

Class mode's rooms must be shared by every replica (a teacher and a student may land on different
ones): with more than one replica and no ``REDIS_URL`` in the environment, a redis-server of its own
(the Debian package, installed when missing; nothing kept on disk) is started on 127.0.0.1 at the port
after the replicas' and every replica gets its ``REDIS_URL``. A ``REDIS_URL`` already set is passed on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from string import Template

from lessons.classroom.redis_rooms import local_redis_server

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "haproxy.cfg.template"
CONFIG = ROOT / "deploy" / "haproxy.cfg"
START_TIMEOUT_S = 180.0  # a cold import of torch + streamlit per replica on a busy machine
REPLICA_ENV = {**os.environ, "MALLOC_ARENA_MAX": "2"}  # as `make run`


def ensure_program(program: str, package: str) -> str:
    """The executable ``program``, installed from the Debian package ``package`` when missing (looked
    for in /usr/sbin too, where Debian puts haproxy and which a user's PATH may lack)."""
    search = f"{os.environ.get('PATH', '')}:/usr/sbin:/usr/bin"
    found = shutil.which(program, path=search)
    if found:
        return found
    print(f"{program} is not installed: installing the Debian package {package}…", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "install", "-y", package], check=True, env=environment)
    installed = shutil.which(program, path=search)
    if installed is None:
        raise RuntimeError(
            f"the package {package} was installed but {program} is not on /usr/sbin or /usr/bin"
        )
    return installed


def replica_ports(port: int, replicas: int) -> list[int]:
    return [port + index for index in range(1, replicas + 1)]


def write_config(path: Path, address: str, port: int, replicas: int) -> Path:
    """deploy/haproxy.cfg (or ``path``) from the template: the frontend and one server per replica."""
    servers = "\n".join(
        f"    server replica{index} 127.0.0.1:{replica_port} check cookie replica{index}"
        for index, replica_port in enumerate(replica_ports(port, replicas), start=1)
    )
    path.write_text(Template(TEMPLATE.read_text()).substitute(address=address, port=port, servers=servers))
    return path


def start_replica(port: int, cookie_secret: str, redis_url: str) -> subprocess.Popen:
    command = [
        *(sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"),
        *("--server.port", str(port), "--server.address", "127.0.0.1"),
    ]
    environment = {**REPLICA_ENV, "STREAMLIT_SERVER_COOKIE_SECRET": cookie_secret}  # not allowed as a flag
    if redis_url:
        environment["REDIS_URL"] = redis_url
    return subprocess.Popen(command, cwd=ROOT, env=environment)


@contextlib.contextmanager
def shared_rooms(replicas: int, port: int) -> Iterator[str]:
    """The ``REDIS_URL`` every replica gets: the environment's, else for more than one replica a
    redis-server of its own on the port after the replicas' (stopped on leaving), else none."""
    if os.environ.get("REDIS_URL") or replicas == 1:
        yield os.environ.get("REDIS_URL", "")
        return
    ensure_program("redis-server", "redis-server")
    with (
        tempfile.TemporaryDirectory(prefix="lab-redis-") as folder,
        local_redis_server(Path(folder), port + replicas + 1) as url,
    ):
        print(f"Class rooms shared by the replicas through Redis at {url}", flush=True)
        yield url


def wait_healthy(url: str, processes: list[subprocess.Popen]) -> None:
    """Return once ``url`` answers "ok"; RuntimeError if a process exits or it takes too long."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError(f"a process exited before {url} was healthy")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.read().strip() == b"ok":
                return
        time.sleep(0.5)
    raise RuntimeError(f"{url} not healthy after {START_TIMEOUT_S:.0f} s")


@contextlib.contextmanager
def stopped_at_exit(processes: list[subprocess.Popen]) -> Iterator[None]:
    """Terminate every process on leaving, on Ctrl-C and on SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        yield
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def serve(replicas: int, address: str, port: int, config: Path) -> None:
    haproxy = ensure_program("haproxy", "haproxy")
    write_config(config, address, port, replicas)
    subprocess.run([haproxy, "-c", "-q", "-f", str(config)], check=True)
    cookie_secret = secrets.token_hex(32)
    processes: list[subprocess.Popen] = []
    with shared_rooms(replicas, port) as redis_url, stopped_at_exit(processes):
        processes += [
            start_replica(replica_port, cookie_secret, redis_url)
            for replica_port in replica_ports(port, replicas)
        ]
        for replica_port in replica_ports(port, replicas):
            wait_healthy(f"http://127.0.0.1:{replica_port}/_stcore/health", processes)
        processes.append(subprocess.Popen([haproxy, "-db", "-f", str(config)]))
        shown = "localhost" if address in ("0.0.0.0", "127.0.0.1") else address
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", processes)
        print(f"Langevin Lab on http://{shown}:{port} ({replicas} replicas behind HAProxy)", flush=True)
        processes[-1].wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument(
        "--address", default="0.0.0.0", help="where HAProxy listens (default: every interface)"
    )
    parser.add_argument(
        "--port", type=int, default=8501, help="HAProxy's port; the replicas take the next ones"
    )
    parser.add_argument("--config", type=Path, default=CONFIG, help="where to write the generated config")
    arguments = parser.parse_args()
    if arguments.replicas < 1:
        parser.error("--replicas must be at least 1")
    serve(arguments.replicas, arguments.address, arguments.port, arguments.config)


if __name__ == "__main__":
    main()
