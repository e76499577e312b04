#!/usr/bin/python3
"""Whether the help desk's cluster is whole, looked at once from one ticket node's host.

Argument: one JSON object (the role's tasks/whole.yml builds it): `zookeeper`, `database` and
`nodes`, each {host: address} for every ZooKeeper server, database member and ticket node, and the
ports, paths and limits. Prints one JSON object:
  whole            true when nothing is missing
  missing          [{host, unit, what}]: each thing that is not as it must be, with the host and the
                   systemd unit whose journal tells why
  patroni_leader   the Patroni member that leads (null when none), and patroni_sync_standby
  zookeeper_modes  {server: mode}
Exit status 0 when whole, 1 when not (the caller retries within its bound), 2 on a bad argument.
Every look is bounded (a few seconds each); nothing here changes the cluster.
"""
import json
import os
import re
import socket
import subprocess
import sys
import urllib.request


def zookeeper(spec, miss):
    modes = {}
    for s in spec["zookeeper"]:
        answer = b""
        try:
            with socket.create_connection((s["address"], spec["zk_port"]), timeout=3) as c:
                c.settimeout(3)
                c.sendall(b"srvr")
                while len(answer) < 65536:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    answer += chunk
        except OSError as e:
            miss(s["name"], "zookeeper", f"ZooKeeper server {s['address']}:{spec['zk_port']} does not answer srvr ({e})")
            continue
        mode = re.search(r"Mode: (\w+)", answer.decode("utf-8", "replace"))
        if not mode:
            miss(s["name"], "zookeeper", f"ZooKeeper server {s['address']} does not serve (srvr: {answer[:200]!r})")
            continue
        modes[s["name"]] = mode.group(1)
    leaders = [n for n, m in modes.items() if m in ("leader", "standalone")]
    if modes and len(leaders) != 1:
        miss(spec["zookeeper"][0]["name"], "zookeeper", f"ZooKeeper has {len(leaders)} leaders, not one (modes: {modes})")
    return modes


def patroni(spec, miss):
    """One leader, a synchronous standby, every member running and close behind (Patroni's own lag)."""
    cluster, errors = None, []
    for m in spec["database"]:
        try:
            with urllib.request.urlopen(f"http://{m['address']}:{spec['patroni_port']}/cluster", timeout=3) as r:
                cluster = json.load(r)
                break
        except (OSError, ValueError) as e:
            errors.append(f"{m['name']}: {e}")
    if cluster is None:
        miss(spec["database"][0]["name"], "patroni", f"no Patroni REST API answers /cluster ({'; '.join(errors)})")
        return None, None
    members = {m.get("name"): m for m in cluster.get("members", [])}
    leaders = [n for n, m in members.items() if m.get("role") == "leader"]
    syncs = [n for n, m in members.items() if m.get("role") == "sync_standby"]
    if len(leaders) != 1:
        miss(spec["database"][0]["name"], "patroni", f"Patroni has {len(leaders)} leaders, not one")
    if not syncs:
        miss((leaders or [spec["database"][0]["name"]])[0], "patroni", "Patroni has no synchronous standby")
    for d in spec["database"]:
        m = members.get(d["name"])
        if m is None:
            miss(d["name"], "patroni", f"database member {d['name']} is not in the Patroni cluster")
            continue
        if m.get("state") not in ("running", "streaming"):
            miss(d["name"], "patroni", f"database member {d['name']} is {m.get('state')}, not running")
        if m.get("role") != "leader":
            lag = m.get("lag")
            if not isinstance(lag, int) or lag > spec["max_lag_bytes"]:
                miss(d["name"], "patroni", f"database member {d['name']} lags {lag} bytes (at most {spec['max_lag_bytes']})")
    return (leaders[0] if len(leaders) == 1 else None), (syncs[0] if syncs else None)


def node_env(spec):
    """The node's own secrets (its database password), as systemd gives them to the node."""
    env = dict(os.environ)
    with open(spec["secrets"], encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                env[key] = value
    return env


def old_transactions(spec, env, leader, miss):
    addresses = ",".join(m["address"] for m in spec["database"])
    conninfo = (f"host={addresses} port={spec['pg_port']} dbname={spec['db_name']} user={spec['db_user']}"
                " target_session_attrs=read-write connect_timeout=3")
    query = ("select pid || ' ' || coalesce(usename, '-') || ' ' || coalesce(nullif(application_name, ''), '-') || ' '"
             " || coalesce(state, '-') || ' ' || extract(epoch from now() - xact_start)::int || ' s'"
             " from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()"
             f" and xact_start < now() - interval '{int(spec['max_xact_age_s'])} seconds'")
    try:
        r = subprocess.run(["psql", "-X", "-At", conninfo, "-c", query], capture_output=True, text=True, timeout=15,
                           env=dict(env, PGPASSWORD=env.get("TICKETD_DB_PASSWORD", "")), check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        miss(leader or spec["database"][0]["name"], "patroni", f"cannot ask the primary for old transactions ({e})")
        return
    if r.returncode != 0:
        miss(leader or spec["database"][0]["name"], "patroni", f"cannot ask the primary for old transactions: {r.stderr.strip()}")
        return
    for line in r.stdout.splitlines():
        miss(leader or spec["database"][0]["name"], "patroni",
             f"a transaction older than {spec['max_xact_age_s']} s runs on the primary (pid user application state age: {line})")


def ticket_nodes(spec, env, miss):
    for n in spec["nodes"]:
        url = f"http://{n['address']}:{spec['node_port']}/health/ready"
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                status = r.status
        except urllib.error.HTTPError as e:
            status = e.code
        except OSError as e:
            status = f"nothing ({e})"
        if status != 200:
            miss(n["name"], "ticketd", f"ticket node {n['name']} is not ready ({url} answered {status})")
    try:
        r = subprocess.run(["java", "-jar", spec["jar"], "cluster", "status", "--config", spec["config"]], capture_output=True,
                           text=True, timeout=60, env=env, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        miss(spec["nodes"][0]["name"], "ticketd", f"`ticketd cluster status` did not answer ({e})")
        return
    if r.returncode != 0:
        miss(spec["nodes"][0]["name"], "ticketd", f"`ticketd cluster status` failed: {r.stderr.strip()[-400:]}")
        return
    for n in spec["nodes"]:
        row = re.search(r"^\s+" + re.escape(n["name"]) + r"\s+(\S+)\s+(\S+)", r.stdout, re.MULTILINE)
        if not row:
            miss(n["name"], "ticketd", f"ticket node {n['name']} is not in the Helix cluster")
        elif row.group(1) != "live":
            miss(n["name"], "ticketd", f"ticket node {n['name']} is {row.group(1)} in the Helix cluster, not live")
        elif row.group(2) != "enabled":
            miss(n["name"], "ticketd", f"ticket node {n['name']} is {row.group(2)} (`ticketd cluster undrain {n['name']}`)")


def main():
    try:
        spec = json.loads(sys.argv[1])
    except (IndexError, ValueError) as e:
        print(f"usage: cluster_whole.py SPEC_JSON ({e})", file=sys.stderr)
        return 2
    # Ansible hands numbers over as strings
    for key in ("zk_port", "patroni_port", "pg_port", "node_port", "max_lag_bytes", "max_xact_age_s"):
        spec[key] = int(spec[key])
    for group in ("zookeeper", "database", "nodes"):
        spec[group] = [{"name": name, "address": address} for name, address in spec[group].items()]
    missing = []

    def miss(host, unit, what):
        missing.append({"host": host, "unit": unit, "what": what})

    modes = zookeeper(spec, miss)
    leader, sync = patroni(spec, miss)
    env = node_env(spec)
    old_transactions(spec, env, leader, miss)
    ticket_nodes(spec, env, miss)
    print(json.dumps({"whole": not missing, "missing": missing, "patroni_leader": leader, "patroni_sync_standby": sync,
                      "zookeeper_modes": modes}))
    return 0 if not missing else 1


if __name__ == "__main__":
    sys.exit(main())
