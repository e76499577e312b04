# shellcheck shell=bash
# Staff at the ticket list while the test breaks things, sourced by ansible/test/run: it uses run's
# $out, $names, $net and $db_password. Every loop is bounded in count and time.

staff_cookies=$out/staff.cookies

staff_login() { # staff_login EMAIL: a staff user made with `ticketd user add` logs in through the staff address; cookies in $staff_cookies
  local email=$1 password csrf code
  password=$(openssl rand -hex 12)
  printf '%s\n' "$password" | test/hosts sh "${names%% *}" env TICKETD_DB_PASSWORD="$db_password" \
    java -jar /opt/ticketd/ticketd.jar user add --config /etc/ticketd/node.properties \
    --email "$email" --name "Test watch" >/dev/null || { echo "ticketd user add failed" >&2; return 1; }
  rm -f "$staff_cookies"
  # the login form's CSRF token is in its hidden field and in a cookie; both must come back
  csrf=$(curl -sf --max-time 5 -c "$staff_cookies" "http://$net.100/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1)
  [ -n "$csrf" ] || { echo "no CSRF token on the login page at http://$net.100/login" >&2; return 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -b "$staff_cookies" -c "$staff_cookies" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" --data-urlencode "csrf=$csrf" \
    "http://$net.100/login" || true)
  [ "$code" = 303 ] || { echo "staff login through http://$net.100/ answered $code, not 303" >&2; return 1; }
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -b "$staff_cookies" "http://$net.100/tickets" || true)
  [ "$code" = 200 ] || { echo "the ticket list after login answered $code, not 200" >&2; return 1; }
}

ui_probe_start() { # ui_probe_start NAME: the ticket list asked every 0.2 s through the staff address until ui_probe_stop (30 min at most)
  ui_probe_log=$out/ui-probe-$1.log
  : > "$ui_probe_log"; rm -f "$out/ui-probe.stop"
  (
    for _ in $(seq 1 9000); do
      [ -f "$out/ui-probe.stop" ] && break
      code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -b "$staff_cookies" "http://$net.100/tickets" || true)
      echo "$(date +%s%3N) $code" >> "$ui_probe_log"
      sleep 0.2
    done
  ) &
  ui_probe=$!
}
ui_probe_stop() {
  touch "$out/ui-probe.stop"; wait "$ui_probe" || true
}
ui_gaps() { # ui_gaps NAME prints: answers, failed answers, the longest stretch (ms) from the last 200 before a failure to the next 200
  awk '{ n++ }
       $2 == 200 { if (bad && last) { g = $1 - last; if (g > max) max = g } bad = 0; last = $1; next }
       { failed++; bad = 1 }
       END { if (bad && last) { g = $1 - last; if (g > max) max = g }; printf "%d %d %d\n", n, failed, max }' "$out/ui-probe-$1.log"
}
