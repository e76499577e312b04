# Sourced by ansible/test/run: a host lost for good (killed, its disk thrown away) and a fresh
# Debian 12 of the same name put in its place with replace-host.yml.

patroni_leader() { # the member the database hosts name leader (empty when none answers or none leads)
  local n i=1
  for n in $names; do
    curl -sf --max-time 2 "http://$net.1$i:8008/cluster" 2>/dev/null \
      | python3 -c 'import json,sys; print(*[m["name"] for m in json.load(sys.stdin)["members"] if m["role"] == "leader"])' 2>/dev/null \
      | grep . && return 0
    i=$((i + 1))
  done
  return 0
}

host_replaced() { # replace-host.yml brings a wiped host back into every part of the cluster
  local gone=$last leader="" i t0
  test/hosts wipe "$gone"
  # the others carry on: a database leader among them (a failover when the lost host led)
  for i in $(seq 1 60); do
    leader=$(patroni_leader)
    [ -n "$leader" ] && [ "$leader" != "$gone" ] && break
    leader=""; sleep 1
  done
  [ -n "$leader" ] || { echo "no database leader among the other hosts 60 s after $gone was lost" >&2; return 1; }
  test/hosts start "$gone"
  t0=$(date +%s)
  timeout 900 ansible-playbook -i "$inventory" replace-host.yml -e @"$secrets" -e @"$testvars" -e replace_host="$gone" \
    > "$out/replace.log" 2>&1 || { tail -40 "$out/replace.log"; return 1; }
  sed -n '/PLAY RECAP/,$p' "$out/replace.log"
  echo "$gone, wiped, serves again in every part $(( $(date +%s) - t0 )) s after replace-host.yml started (database leader meanwhile: $leader)"
}
