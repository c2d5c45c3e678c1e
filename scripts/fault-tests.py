#!/usr/bin/env python3
"""Fault tests for Consentry on 127.0.0.1, bounded in time. Run by scripts/fault-tests.

  crash STORE         fire concurrent PUTs, kill -9 the server mid-way, restart it, and check
                      that every acknowledged choice is in the ledger and that each member's
                      state is their last acknowledged value (or an unacknowledged one that was
                      in flight at the kill). STORE is sqlite or postgres.
  store-loss          stop PostgreSQL under a running server: /readyz, member reads and writes,
                      the pipeline API answer 503; export and filter exit non-zero and write
                      nothing; start PostgreSQL again and everything recovers without a restart.
  concurrency         two instances and two CLI importers write at once to one PostgreSQL:
                      nothing is lost and the audit chain verifies.

Environment: CONSENTRY_BIN (the binary), CONSENTRY_TEST_DATABASE_URL and
CONSENTRY_TEST_POSTGRES_DIR (from scripts/postgres start) for the PostgreSQL cases.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BIN = os.environ.get("CONSENTRY_BIN", ".build/debug/consentry")
SECRET = "fault-tests-" + os.urandom(16).hex()
ISSUER = "consentry-dev"
ENV = dict(os.environ, CONSENTRY_JWT_SECRET=SECRET, CONSENTRY_JWT_ISSUER=ISSUER)
ENV.pop("CONSENTRY_DATABASE_URL", None)
ENV.pop("CONSENTRY_DB", None)


def fail(message):
    print(f"fault-tests: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(subject, role="member"):
    """An HS256 access token (RFC 9068 typ, audience consentry), as the platform's identity provider would sign it."""
    now = int(time.time())
    header = b64(json.dumps({"alg": "HS256", "typ": "at+jwt"}).encode())
    claims = b64(json.dumps({"sub": subject, "iss": ISSUER, "aud": "consentry", "exp": now + 3600, "nbf": now - 5, "iat": now,
                             "role": role}).encode())
    signature = b64(hmac.new(SECRET.encode(), f"{header}.{claims}".encode(), hashlib.sha256).digest())
    return f"{header}.{claims}.{signature}"


def instant(text):
    """An RFC 3339 instant as seconds (fractions kept), for comparing."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(*args, check=True):
    result = subprocess.run([BIN, *args], env=ENV, capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        fail(f"consentry {' '.join(args)} exited {result.returncode}: {result.stderr.strip()}")
    return result


def http(method, url, token=None, body=None, timeout=20):
    """(status, parsed JSON or text); status 0 when the connection failed."""
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read().decode()
            status = response.status
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        status = error.code
        content_type = error.headers.get("Content-Type", "")
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, None
    if "json" in content_type:
        try:
            return status, json.loads(text)
        except ValueError:
            pass
    return status, text


class Server:
    def __init__(self, store_args, workdir, name="serve"):
        self.store_args = store_args
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(workdir, f"{name}.log"), "a")
        self.process = None

    def start(self):
        # The crash test sends each member several PUTs in a burst; a 429 from the per-member
        # limit would only blur which writes were acknowledged.
        self.process = subprocess.Popen([BIN, "serve", *self.store_args, "--port", str(self.port),
                                         "--limit-member-writes", "off"], env=ENV,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if http("GET", self.base + "/healthz", timeout=1)[0] == 200:
                return self
            if self.process.poll() is not None:
                fail(f"the server exited with {self.process.returncode}; see {self.log.name}")
            time.sleep(0.1)
        fail("the server did not start within 60 s")

    def kill9(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def seed(store_args, workdir, members):
    run("policy", "apply", "examples/policy.yaml", *store_args)
    run("generate", "--members", str(members), "--out", os.path.join(workdir, "generated"))
    run("import", "members", os.path.join(workdir, "generated", "members.jsonl"), *store_args)
    ids = [json.loads(line)["id"] for line in open(os.path.join(workdir, "generated", "members.jsonl"))]
    return ids


def postgres_database(name):
    admin = os.environ.get("CONSENTRY_TEST_DATABASE_URL")
    if not admin:
        fail("CONSENTRY_TEST_DATABASE_URL is not set; start a cluster with scripts/postgres start DIR")
    subprocess.run(["psql", admin, "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True, capture_output=True)
    subprocess.run(["psql", admin, "-qc", f'CREATE DATABASE "{name}"'], check=True, capture_output=True)
    return admin.rsplit("/", 1)[0] + "/" + name


def ledger_count(store_args):
    if store_args[0] == "--db":
        with sqlite3.connect(store_args[1]) as db:
            return db.execute("SELECT count(*) FROM consent_events").fetchone()[0]
    out = subprocess.run(["psql", store_args[1], "-tAc", "SELECT count(*) FROM consent_events"], check=True,
                         capture_output=True, text=True).stdout
    return int(out.strip())


# MARK: crash

def crash(store):
    workdir = tempfile.mkdtemp(prefix="consentry-crash-")
    store_args = ["--db", os.path.join(workdir, "crash.sqlite")] if store == "sqlite" \
        else ["--database-url", postgres_database("consentry_fault_crash")]
    members = seed(store_args, workdir, 200)
    server = Server(store_args, workdir).start()
    tokens = {member: token(member) for member in members}
    lock = threading.Lock()
    acked = []          # (member, enabled, updated_at)
    unacked = {}        # member -> requests without a 2xx answer (any may have committed)
    outstanding = [0]   # requests sent and not yet answered
    fired = [0]
    target = 1200

    def worker(mine):
        rng = random.Random()
        while True:
            with lock:
                if fired[0] >= target:
                    return
                fired[0] += 1
                outstanding[0] += 1
            member = rng.choice(mine)
            enabled = rng.random() < 0.5
            status, body = http("PUT", server.base + "/api/v1/me/ai-training", tokens[member], {"enabled": enabled}, timeout=10)
            with lock:
                outstanding[0] -= 1
                if 200 <= status < 300 and isinstance(body, dict) and body.get("updated_at"):
                    acked.append((member, enabled, body["updated_at"]))
                else:
                    unacked[member] = unacked.get(member, 0) + 1

    # Each member belongs to one worker, so a member's requests are sequential: "the last
    # acknowledged value" is well defined.
    workers = 32
    threads = [threading.Thread(target=worker, args=(members[i::workers],)) for i in range(workers)]
    for thread in threads:
        thread.start()
    deadline = time.time() + 120
    while time.time() < deadline:
        with lock:
            if len(acked) >= target // 2:
                break
        time.sleep(0.01)
    server.kill9()
    with lock:
        killed_at, in_flight_at_kill = len(acked), outstanding[0]
    for thread in threads:
        thread.join(timeout=60)

    server.start()
    missing, stale, phantom = [], [], []
    by_member = {}
    for member, enabled, at in acked:
        by_member.setdefault(member, []).append((at, enabled))
    for member, expected in by_member.items():
        status, history = http("GET", server.base + "/api/v1/me/ai-training/history?limit=500", tokens[member])
        if status != 200:
            fail(f"history of {member} answered {status}")
        recorded = {(item["at"], item["enabled"]) for item in history["items"]}
        missing.extend((member, at, enabled) for at, enabled in expected if (at, enabled) not in recorded)
        # The state is the last acknowledged choice, or one sent after it that committed
        # without an answer: never anything older.
        last_at, last_enabled = max(expected, key=lambda entry: instant(entry[0]))
        latest = history["items"][0]
        if instant(latest["at"]) < instant(last_at) or (latest["at"] == last_at and latest["enabled"] != last_enabled):
            stale.append((member, latest, (last_at, last_enabled)))
        # No entry appears that nobody sent.
        if len(history["items"]) > len(expected) + unacked.get(member, 0):
            phantom.append(member)
    server.stop()
    print(f"crash/{store}: fired {fired[0]} PUTs from {workers} clients; kill -9 after {killed_at} acknowledged "
          f"with {in_flight_at_kill} in flight; {len(acked)} acknowledged in all, {sum(unacked.values())} not; "
          f"ledger {ledger_count(store_args)} entries; acknowledged but lost: {len(missing)}; "
          f"state older than the last acknowledged choice: {len(stale)}; entries nobody sent: {len(phantom)}")
    if fired[0] < 1000:
        fail(f"only {fired[0]} PUTs were fired")
    if missing:
        fail(f"{len(missing)} acknowledged choices are not in the ledger, e.g. {missing[:3]}")
    if stale:
        fail(f"{len(stale)} members' state is older than their last acknowledged choice, e.g. {stale[:3]}")
    if phantom:
        fail(f"{len(phantom)} members have ledger entries nobody sent, e.g. {phantom[:3]}")


# MARK: store loss

def store_loss():
    pgdir = os.environ.get("CONSENTRY_TEST_POSTGRES_DIR")
    if not pgdir:
        fail("CONSENTRY_TEST_POSTGRES_DIR is not set; start a cluster with scripts/postgres start DIR")
    workdir = tempfile.mkdtemp(prefix="consentry-loss-")
    url = postgres_database("consentry_fault_loss")
    store_args = ["--database-url", url]
    members = seed(store_args, workdir, 50)
    server = Server(store_args, workdir).start()
    member = members[0]
    pipeline = token("fault-etl", role="pipeline")
    status, _ = http("GET", server.base + "/api/v1/me/ai-training", token(member))
    if status != 200:
        fail(f"before the loss, the member read answered {status}")
    posts = os.path.join(workdir, "posts.jsonl")
    with open(posts, "w") as handle:
        for index, member_id in enumerate(members):
            handle.write(json.dumps({"member_id": member_id, "text": f"post {index}"}) + "\n")

    subprocess.run(["scripts/postgres", "pause", pgdir], check=True)
    time.sleep(0.6)  # past the instance's half-second view of the member
    requests = {
        "/readyz": ("GET", "/readyz", None, None),
        "member read": ("GET", "/api/v1/me/ai-training", token(member), None),
        "member write": ("PUT", "/api/v1/me/ai-training", token(member), {"enabled": False}),
        "eligibility:batch": ("POST", "/api/v1/eligibility:batch", pipeline, {"members": [member]}),
        "exclusions": ("GET", "/api/v1/exclusions", pipeline, None),
    }
    slowest = 0.0
    for name, (method, path, bearer, body) in requests.items():
        started = time.time()
        status, answer = http(method, server.base + path, bearer, body)
        slowest = max(slowest, time.time() - started)
        if status != 503 or not isinstance(answer, dict) or answer.get("status") != 503:
            fail(f"with PostgreSQL down, {name} answered {status} {str(answer)[:200]}")
    export_dir = os.path.join(workdir, "export")
    export = run("export", "--out", export_dir, *store_args, check=False)
    filtered = os.path.join(workdir, "kept.jsonl")
    filter_run = run("filter", posts, "--category", "content.posts", "--no-record-times", "--out", filtered, *store_args, check=False)
    for name, result, path in (("export", export, export_dir), ("filter", filter_run, filtered)):
        if result.returncode == 0:
            fail(f"{name} succeeded with PostgreSQL down")
        if "PostgreSQL at" not in result.stderr:
            fail(f"{name} did not say the store is unavailable: {result.stderr.strip()}")
        if os.path.exists(path) and (not os.path.isdir(path) or os.listdir(path)):
            fail(f"{name} left {path} behind")

    subprocess.run(["scripts/postgres", "resume", pgdir], check=True)
    deadline = time.time() + 60
    while time.time() < deadline and http("GET", server.base + "/readyz")[0] != 200:
        time.sleep(0.5)
    status, body = http("PUT", server.base + "/api/v1/me/ai-training", token(member), {"enabled": False})
    if status != 200:
        fail(f"after PostgreSQL came back, a write answered {status} {body}")
    status, body = http("POST", server.base + "/api/v1/eligibility:batch", pipeline, {"members": [member]})
    if status != 200:
        fail(f"after PostgreSQL came back, eligibility:batch answered {status}")
    run("export", "--out", export_dir, *store_args)
    # The write refused while the store was down was never recorded: one entry, the one after.
    history = http("GET", server.base + "/api/v1/me/ai-training/history", token(member))[1]
    server.stop()
    print(f"store-loss: with PostgreSQL down, /readyz, member read and write, eligibility:batch and exclusions "
          f"answered 503 problem+json (slowest {slowest:.1f} s), export and filter exited {export.returncode} and {filter_run.returncode} writing nothing; "
          f"after restart everything answered again without restarting Consentry ({len(history['items'])} choice recorded)")
    if len(history["items"]) != 1:
        fail(f"expected exactly the one acknowledged write in the history, found {len(history['items'])}")


# MARK: concurrency

def concurrency():
    workdir = tempfile.mkdtemp(prefix="consentry-concurrency-")
    url = postgres_database("consentry_fault_concurrency")
    store_args = ["--database-url", url]
    members = seed(store_args, workdir, 400)
    servers = [Server(store_args, workdir, name=f"serve{i}").start() for i in range(2)]
    # Two consent files for two CLI importers, 2,000 choices each.
    files = []
    for index in range(2):
        path = os.path.join(workdir, f"consents{index}.jsonl")
        rng = random.Random(index)
        with open(path, "w") as handle:
            for _ in range(2000):
                handle.write(json.dumps({"member": rng.choice(members), "choice": rng.choice(["on", "off"]),
                                         "at": "2025-06-01T00:00:00Z"}) + "\n")
        files.append(path)
    tokens = {member: token(member) for member in members}
    acked = [0]
    lock = threading.Lock()

    def client(server, mine):
        rng = random.Random()
        for _ in range(150):
            member = rng.choice(mine)
            status, _ = http("PUT", server.base + "/api/v1/me/ai-training", tokens[member], {"enabled": rng.random() < 0.5})
            if status == 200:
                with lock:
                    acked[0] += 1
            elif status != 0:
                fail(f"a PUT answered {status}")

    importers = [subprocess.Popen([BIN, "import", "consents", path, *store_args], env=ENV, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for path in files]
    threads = [threading.Thread(target=client, args=(servers[i % 2], members[i::8])) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    for importer in importers:
        out, err = importer.communicate(timeout=180)
        if importer.returncode != 0:
            fail(f"an importer failed: {err.strip()}")
    for server in servers:
        server.stop()
    entries = ledger_count(store_args)
    audit = run("audit", "verify", *store_args, check=False)
    print(f"concurrency: 2 instances acknowledged {acked[0]} PUTs while 2 importers added 4000 choices; "
          f"ledger {entries} entries; {audit.stdout.strip() or audit.stderr.strip()}")
    if entries != acked[0] + 4000:
        fail(f"the ledger holds {entries} entries, expected {acked[0]} + 4000")
    if audit.returncode != 0:
        fail("the audit chain does not verify")


if __name__ == "__main__":
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if len(sys.argv) < 2:
        fail("usage: fault-tests.py crash sqlite|postgres | store-loss | concurrency")
    case = sys.argv[1]
    if case == "crash":
        crash(sys.argv[2])
    elif case == "store-loss":
        store_loss()
    elif case == "concurrency":
        concurrency()
    else:
        fail(f"unknown case {case}")
