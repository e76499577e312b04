# shellcheck shell=bash
# Sourced by ansible/test/run (its variables and functions: out, net, names, inventory, secrets,
# testvars, db_password, deploy, stored_mails, wait_stored): backups and the restore drill.
# A directory of this machine is the pgBackRest repository, bound at /srv/pgbackrest into every
# host at boot (HOSTS_BIND), the same storage on all three as an NFS export would be. Stages: a
# deploy that names the repository (archiving on: the members restart one at a time), a backup of
# the primary (backup.yml), more mail after it, and the restore drill (restore-drill.yml) to the
# point in time between the two, judged here too: the restored database held every mail stored
# before the backup and none after, and after reconcile it holds every mail of the live database
# exactly once.
backup_repo=$out/pgbackrest-repo
rm -rf "$backup_repo"; mkdir -p "$backup_repo"
export HOSTS_BIND=$backup_repo:/srv/pgbackrest
backup_more_mails=${BACKUP_MORE_MAILS:-10}

backup_keys() { # the live database's mails, one "MAILBOX SHA256" a line, sorted
  PGPASSWORD=$db_password PGCONNECT_TIMEOUT=3 timeout 30 psql -X -At \
    "host=$net.11,$net.12,$net.13 dbname=ticketd user=ticketd target_session_attrs=read-write" \
    -c "select mailbox_id || ' ' || raw_sha256 from inbound_message order by 1" | LC_ALL=C sort
}

backup_deploy() { # every later deploy of the run names the repository
  printf 'patroni_pgbackrest_repo_path: /srv/pgbackrest\n' >> "$testvars"
  deploy "$out/backup-deploy.log"
  local i mode modes=""
  for i in 11 12 13; do # each member runs with archiving on (it restarted for it)
    mode=$(PGPASSWORD=$db_password PGCONNECT_TIMEOUT=3 timeout 10 psql -X -At \
      "host=$net.$i dbname=ticketd user=ticketd" -c "show archive_mode" 2>&1 || true)
    modes="$modes $net.$i:$mode"
    [ "$mode" = on ] || { echo "the member at $net.$i runs with archive_mode '$mode', not on, after the deploy" >&2; return 1; }
  done
  echo "archive_mode:$modes"
}

backup_take() { # backup.yml; five mails stored just before it, and every mail stored before it remembered
  local stored; stored=$(stored_mails)
  backup_send 5 before
  wait_stored $(( stored + 5 )) 120 "before the backup"
  backup_keys > "$out/backup-before.txt"
  echo "the live database holds $(wc -l < "$out/backup-before.txt") mails before the backup"
  timeout 900 ansible-playbook -i "$inventory" backup.yml -e @"$secrets" -e @"$testvars" > "$out/backup.log" 2>&1 \
    || { tail -40 "$out/backup.log"; echo "backup.yml failed (log: $out/backup.log)" >&2; return 1; }
  grep -o '"backup [^"]*took [0-9]* s"' "$out/backup.log" || { echo "backup.yml showed no backup (log: $out/backup.log)" >&2; return 1; }
  sed -n '/PLAY RECAP/,$p' "$out/backup.log"
  # the drill restores to this point in time: after the backup, before the mail that follows it
  backup_point=$(date -u '+%FT%T.%3N+00')
  echo "point in time for the drill: $backup_point"
}

backup_send() { # backup_send N before|after: N mails to the support mailbox over SMTP, each with its own Message-ID
  local i id
  for i in $(seq 1 "$1"); do
    id="$2-backup-$i-$(date +%s%N)@customer.test"
    printf 'From: customer%s@customer.test\r\nTo: support@example.test\r\nSubject: %s the backup %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n\r\nMail %s sent %s the backup.\r\n' \
      "$i" "$2" "$i" "$id" "$(date -R)" "$i" "$2" > "$out/$2-backup.eml"
    curl -s --max-time 10 "smtp://$net.14:25" --mail-from "customer$i@customer.test" --mail-rcpt support@example.test \
      -T "$out/$2-backup.eml" || { echo "mail $i $2 the backup was not accepted by $net.14:25" >&2; return 1; }
  done
}

backup_more_mail() { # mail that arrives after the backup: in the live database, not in the backup
  local before; before=$(wc -l < "$out/backup-before.txt")
  backup_send "$backup_more_mails" after
  wait_stored $(( before + backup_more_mails )) 120 "after the backup"
  echo "$backup_more_mails mails sent after the backup; the live database holds $(stored_mails) of mailbox support"
}

backup_drill() { # restore-drill.yml to the point after the backup, then the test's own judgement of its lists
  local report=$out/drill missing extra doubled
  rm -rf "$report"; mkdir -p "$report"
  timeout 1200 ansible-playbook -i "$inventory" restore-drill.yml -e @"$secrets" -e @"$testvars" \
    -e restore_drill_report_dir="$report" -e restore_drill_target="$backup_point" > "$out/restore-drill.log" 2>&1 \
    || { tail -50 "$out/restore-drill.log"; echo "restore-drill.yml failed (log: $out/restore-drill.log)" >&2; return 1; }
  grep -A12 'TASK \[Show what reconcile did\]' "$out/restore-drill.log" | grep -E 'epoch|pausing|resumed|note' || true
  grep -o '"restore drill on [^"]*"' "$out/restore-drill.log" || true
  backup_keys > "$out/backup-live.txt"
  LC_ALL=C sort -o "$report/restored.txt" "$report/restored.txt"
  LC_ALL=C sort -o "$report/reconciled.txt" "$report/reconciled.txt"
  # every mail stored before the backup was in the restored database, before reconcile
  missing=$(LC_ALL=C comm -23 "$out/backup-before.txt" "$report/restored.txt" | wc -l)
  [ "$missing" -eq 0 ] || { echo "$missing mails stored before the backup are not in the restored database" >&2; return 1; }
  # and none stored after the point in time: reconcile must take those in from the mailbox, once each
  extra=$(LC_ALL=C comm -13 "$out/backup-before.txt" "$report/restored.txt" | wc -l)
  [ "$extra" -eq 0 ] || { echo "$extra mails stored after the point in time ($backup_point) are in the restored database" >&2; return 1; }
  # after reconcile: the live database's mails, each exactly once
  doubled=$(uniq -d "$report/reconciled.txt" | wc -l)
  [ "$doubled" -eq 0 ] || { echo "$doubled mails are doubled in the reconciled database" >&2; return 1; }
  cmp -s "$report/reconciled.txt" "$out/backup-live.txt" || {
    diff "$report/reconciled.txt" "$out/backup-live.txt" | head -10
    echo "the reconciled database and the live one hold different mails" >&2; return 1; }
  echo "mails: $(wc -l < "$out/backup-before.txt") before the backup, $(wc -l < "$report/restored.txt") restored," \
    "$(wc -l < "$report/reconciled.txt") after reconcile = $(wc -l < "$out/backup-live.txt") in the live database, none doubled"
}
