# shellcheck shell=bash
# The rolling upgrade's stages (ansible/rolling-upgrade.yml), sourced by ansible/test/run after its
# helpers: it uses run's $out, $inventory, $secrets, $testvars, $names, $net, $db_password and its
# deploy, stored_mails, mail_stream_start and mail_stream_stop, and staff.sh's staff_login and UI
# probe. Every loop is bounded in count and time.

upgraded_jar=$out/ticketd-upgraded.jar

upgrade() { # upgrade LOG [ARGS...]: rolling-upgrade.yml on the test hosts, its output in LOG
  local log=$1; shift
  timeout 1500 ansible-playbook -i "$inventory" rolling-upgrade.yml -e @"$secrets" -e @"$testvars" "$@" > "$log" 2>&1
}

address_of() { # address_of NAME: the test host's address (host i of $names is $net.1i)
  local i=1 n
  for n in $names; do [ "$n" = "$1" ] && { echo "$net.1$i"; return; }; i=$((i + 1)); done
  return 1
}

wait_node_ready() { # wait_node_ready NAME SECONDS
  local i
  for i in $(seq 1 "$2"); do
    curl -sf -o /dev/null --max-time 2 "http://$(address_of "$1"):8080/health/ready" && return 0
    sleep 1
  done
  echo "the ticket node on $1 is not ready $2 s after it was started" >&2; return 1
}

upgrade_refused_while_stopped() { # one node stopped: the upgrade refuses to start, naming it, and changes nothing
  local victim rc=0 t0 took log=$out/upgrade-refused.log
  victim=$(echo "$names" | awk '{print $2}')
  test/hosts sh "$victim" systemctl stop ticketd
  t0=$(date +%s)
  upgrade "$log" -e rolling_upgrade_precheck_timeout_s=5 || rc=$?
  took=$(( $(date +%s) - t0 ))
  test/hosts sh "$victim" systemctl start ticketd
  [ "$rc" -ne 0 ] || { echo "the upgrade ran although ticketd on $victim was stopped (log: $log)" >&2; return 1; }
  grep -q 'The cluster is not whole before the upgrade' "$log" && grep -q "ticket node $victim is not ready" "$log" \
    || { tail -30 "$log"; echo "the refusal does not name the stopped node $victim (log: $log)" >&2; return 1; }
  if grep -qE '^changed: ' "$log"; then grep -E '^changed: ' "$log" | head; echo "the refused upgrade changed something" >&2; return 1; fi
  echo "refused as it must, in ${took} s: $(grep 'MISSING:' "$log" | grep -o "ticket node $victim is [a-z ]*" | sort -u | paste -sd, -)"
  wait_node_ready "$victim" 120
}

upgrade_under_mail() { # the rolling upgrade to a rebuilt jar while customers mail and staff look at the ticket list
  local n rc=0 t0 took sum old_sum pid ui answers failed gap log=$out/upgrade.log
  declare -A pid_before
  # a changed jar: the deployed one with a marker file added (`jar` comes with every JDK: nothing to install)
  rm -rf "$out/marker"; mkdir -p "$out/marker"; cp "$out/ticketd.jar" "$upgraded_jar"
  echo "rolling upgrade test $(date -u +%FT%TZ)" > "$out/marker/ticketd-upgrade-marker.txt"
  (cd "$out/marker" && jar uf "$upgraded_jar" ticketd-upgrade-marker.txt)
  sum=$(sha256sum < "$upgraded_jar" | cut -d' ' -f1); old_sum=$(sha256sum < "$out/ticketd.jar" | cut -d' ' -f1)
  [ "$sum" != "$old_sum" ] || { echo "the rebuilt jar is the deployed one" >&2; return 1; }
  for n in $names; do pid_before[$n]=$(test/hosts sh "$n" systemctl show -p MainPID --value ticketd); done
  staff_login upgrade-watch@example.test || return 1
  mail_stream_start "$out/upgrade-mail" --first-tag 100001 || return 1
  ui_probe_start upgrade
  t0=$(date +%s)
  upgrade "$log" -e ticket_node_jar="$upgraded_jar" || rc=$?
  took=$(( $(date +%s) - t0 ))
  ui_probe_stop
  read -r answers failed gap < <(ui_gaps upgrade)
  [ "$rc" -eq 0 ] || { tail -40 "$log"; echo "the rolling upgrade failed (log: $log)" >&2; }
  mail_stream_stop || { echo "the mail checker's verdict is not pass ($out/upgrade-mail/report.json)" >&2; rc=1; }
  for n in $names; do
    [ "$(test/hosts sh "$n" sha256sum /opt/ticketd/ticketd.jar | cut -d' ' -f1)" = "$sum" ] \
      || { echo "$n does not run the upgraded jar" >&2; rc=1; }
    pid=$(test/hosts sh "$n" systemctl show -p MainPID --value ticketd)
    [ "$pid" != 0 ] && [ "$pid" != "${pid_before[$n]}" ] \
      || { echo "ticketd on $n was not restarted (MainPID ${pid_before[$n]} before, $pid after)" >&2; rc=1; }
  done
  echo "rolling upgrade: ${took} s in all; hosts in turn: $(grep -o 'upgraded [a-z0-9]* in [0-9]* s' "$log" | sed 's/upgraded //' | paste -sd, -)"
  echo "the primary handed over: $(grep -c 'TASK \[rolling_upgrade : Hand the primary over to the synchronous standby' "$log") time(s)"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("mail during the upgrade: verdict %s, lost %s, duplicated %s, longest intake gap %s ms" % (r["verdict"], r["lost"], r["duplicated"], r["longestIntakeGapMillis"]))' \
    "$out/upgrade-mail/report.json" || rc=1
  echo "staff UI during the upgrade: ${answers} requests of the ticket list every 0.2 s, ${failed} not 200, longest gap ${gap} ms"
  [ "${answers:-0}" -gt 0 ] || { echo "the staff UI was never asked" >&2; rc=1; }
  return "$rc"
}

# After the upgrade, site.yml with the upgraded jar must find nothing to change: the upgrade leaves
# the cluster exactly as a deploy of that jar would (the default jar would be a downgrade).
unchanged_with_upgraded_jar() {
  deploy "$out/converge-upgraded.log" -e ticket_node_jar="$upgraded_jar"
  if grep -E '^\S+ +: ' "$out/converge-upgraded.log" | grep -vq 'changed=0 '; then
    grep -B3 -E '^changed:' "$out/converge-upgraded.log" | head -40
    echo "a deploy of the upgraded jar changed something (log: $out/converge-upgraded.log)" >&2; return 1
  fi
}
