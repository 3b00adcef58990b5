"""A throw-away PostgreSQL server for integration tests: initdb in a temp
folder, the server on a free 127.0.0.1 port, stopped by its PID.

As root (CI), the server runs as the system user weirtest, made if absent:
PostgreSQL refuses to run as root. The binaries come from Debian's
postgresql package (/usr/lib/postgresql/<version>/bin); tests skip when they
are missing."""
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from weirtest import wait_until

USER = "weir"
PASSWORD = "pg-test-secret-4f1c"
OS_USER = "weirtest"


def bin_dir():
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]))
    return next((d for d in reversed(dirs) if os.access(os.path.join(d, "initdb"), os.X_OK)), None)


def available():
    return bin_dir() is not None and shutil.which("psql") is not None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, settings=()):
        self.bin = bin_dir()
        assert self.bin, "initdb not found (Debian's postgresql package)"
        self.as_user = {}  # Popen arguments: the server process itself is the child, signalled by its PID
        owner = None
        if os.getuid() == 0:
            try:
                pwd.getpwnam(OS_USER)
            except KeyError:
                subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", OS_USER],
                               check=True)
            owner = OS_USER
            pw = pwd.getpwnam(OS_USER)
            self.as_user = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
        self.dir = tempfile.mkdtemp(prefix="weir-pg-")
        os.chmod(self.dir, 0o755)
        if owner:
            shutil.chown(self.dir, owner)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.settings = list(settings)
        self.proc = None
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if owner:
            shutil.chown(pwfile, owner)
        r = subprocess.run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", USER,
                                           "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
                                           "-E", "UTF8", "--locale=C.UTF-8", "-N"],
                           capture_output=True, text=True, cwd=self.dir, **self.as_user)
        os.unlink(pwfile)
        assert r.returncode == 0, r.stdout + r.stderr

    def url(self, dbname="postgres", with_password=False):
        pw = ":" + PASSWORD if with_password else ""
        return f"postgresql://{USER}{pw}@127.0.0.1:{self.port}/{dbname}"

    def start(self):
        """Starts the server as a child process (its PID is ours to stop)."""
        args = [os.path.join(self.bin, "postgres"), "-D", self.data, "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.dir}",
                # A test box: durability of the OS crash kind is not what is tested.
                "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "max_connections=40"]
        for s in self.settings:
            args += ["-c", s]
        log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=self.dir, **self.as_user)
        log.close()
        wait_until(self._ready, timeout=60, message="PostgreSQL accepting connections")
        return self

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"postgres exited with {self.proc.returncode}:\n{self.log()}")
        r = subprocess.run([os.path.join(self.bin, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"])
        return r.returncode == 0

    def stop(self, mode="fast"):
        """Stops the server by its PID: fast (SIGINT) or immediate (SIGQUIT, a crash)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT if mode == "fast" else signal.SIGQUIT)
        self.proc.wait(timeout=60)
        self.proc = None

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def psql(self, sql, dbname="postgres", check=True):
        """Runs SQL; returns rows as lists of strings (tab-separated output)."""
        env = dict(os.environ, PGPASSWORD=PASSWORD)
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1",
                            "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, "-d", dbname, "-c", sql],
                           capture_output=True, text=True, env=env, timeout=120)
        if check:
            assert r.returncode == 0, f"psql failed: {r.stderr}\nSQL: {sql}"
        if r.returncode != 0:
            return None
        return [line.split("\t") for line in r.stdout.splitlines() if line != ""]

    def scalar(self, sql, dbname="postgres"):
        rows = self.psql(sql, dbname)
        return rows[0][0] if rows else None

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # our child, by its PID
            self.proc.wait(timeout=30)
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
