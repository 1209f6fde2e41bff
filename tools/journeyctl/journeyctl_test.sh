#!/usr/bin/env bash
# End to end through the real binary, the way the README tells a user to work:
# init, register, record, status, history, verify, import, and the errors a user
# meets (exit codes and the words that name what was wrong).
#   journeyctl_test.sh PATH/TO/journeyctl PROGRAMMES_DIR
set -uo pipefail
J="$1"
PROGRAMMES="$2"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export JOURNEY_DATA="$work/data" JOURNEY_ACTOR="test.ec"
passed=0 failed=0

check() {  # check NAME EXPECTED_RC COMMAND... ; output in $out
  local name=$1 want=$2
  shift 2
  out=$("$@" 2>&1)
  local rc=$?
  if [ "$rc" = "$want" ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $name: exit $rc, expected $want"
    echo "$out" | head -20
  fi
}
contains() {  # contains NAME TEXT ; searches $out
  if printf '%s' "$out" | grep -qF -- "$2"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAIL $1: output lacks '$2'"
    echo "$out" | head -20
  fi
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

check "commands before init" 1 "$J" hire list
contains "init hint" "journeyctl init"
check "init" 0 "$J" init
contains "programme installed" "programme-gr-forsta-aren"
check "init again is harmless" 0 "$J" init
check "programme show" 0 "$J" programme show
contains "checklist title" "Checklista administratör förbereda ankomst"
contains "introducer hours" "4 h/vecka"

check "register" 0 "$J" --json hire register --name "Sara Lind" --email sara@example.se \
  --unit "Barn och unga Hisingen" --start 2026-09-01 --introducer "Karin Ek"
hire=$(printf '%s' "$out" | json "d['hire']")
check "register with a bad e-mail" 1 "$J" hire register --name X --email nope --unit U --start 2026-09-01
contains "bad e-mail named" "e-post"
check "register with a bad date" 1 "$J" --lang en hire register --name X --email x@y.se --unit U --start 2026-02-30
contains "bad date named" "'2026-02-30' is not a date"

check "item done" 0 "$J" record item "$hire" ad.dator --on 2026-08-25
contains "item done, in Swedish" "Moment klart för"
check "item done twice" 1 "$J" record item "$hire" ad.dator --on 2026-08-26
contains "already done, in Swedish" "redan klart (2026-08-25)"
check "unknown item" 1 "$J" --lang en record item "$hire" ad.kaffe
contains "unknown item named" "Item 'ad.kaffe' is not in the programme"
check "module before the course is booked" 1 "$J" record module "$hire" 1 --on 2026-09-10
check "unknown hire" 1 "$J" record started hire-00000000
check "first day" 0 "$J" record started "$hire" --on 2026-09-01
check "stale expected version" 3 "$J" record hours "$hire" 4 --week 2026-09-07 --expect-version 1
check "hours, in English" 0 "$J" --lang en record hours "$hire" 4 --week 2026-09-09
contains "hours, in English" "Introducer hours recorded for"
check "same key twice records once" 0 "$J" record hours "$hire" 2 --week 2026-09-14 --key k1
check "same key again" 0 "$J" record hours "$hire" 2 --week 2026-09-14 --key k1
contains "duplicate said" "Redan registrerat"

check "status json" 0 "$J" --json status "$hire"
[ "$(printf '%s' "$out" | json "d['hours']['logged']")" = "6.0" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL hours logged: $(printf '%s' "$out" | json "d['hours']")"; }
[ "$(printf '%s' "$out" | json "d['lifecycle']")" = "Active" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL lifecycle"; }
check "status table" 0 "$J" status "$hire"
contains "status names the part" "Inskolning (checklista)"
check "history" 0 "$J" --json history "$hire"
[ "$(printf '%s' "$out" | json "len(d)")" = "6" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL history length: $out"; }
[ "$(printf '%s' "$out" | json "d[2]['actor']")" = "test.ec" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL actor recorded"; }
check "verify" 0 "$J" verify
contains "verified" "Kedjan verifierad: 7 händelser"

# Corrections: a new record that names the event (its Ver) and says why, never an edit.
check "correct a done date" 0 "$J" correct "$hire" 3 --reason "fel datum" --set on=2026-08-20
check "status after the correction" 0 "$J" --json status "$hire"
[ "$(printf '%s' "$out" | json "[i['done_on'] for i in d['items'] if i['id']=='ad.dator'][0]")" = "2026-08-20" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL corrected done date: $out" | head -5; }
check "correct hours" 0 "$J" correct "$hire" 5 --reason "4 blev 3" --set hours=3
check "status follows the hours" 0 "$J" --json status "$hire"
[ "$(printf '%s' "$out" | json "d['hours']['logged']")" = "5.0" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL corrected hours: $(printf '%s' "$out" | json "d['hours']")"; }
check "a number field given text" 1 "$J" correct "$hire" 5 --reason x --set hours=fyra
contains "number named" "--set hours: 'fyra' ska vara ett tal"
check "a correction into the future" 1 "$J" correct "$hire" 3 --reason x --set on=2030-01-01
contains "future named" "ligger i framtiden"
check "a correction that changes nothing" 1 "$J" correct "$hire" 3 --reason x --set on=2026-08-20
contains "nothing changes" "ändrar ingenting"
check "an unknown field" 1 "$J" correct "$hire" 3 --reason x --set when=2026-08-20
contains "unknown field named" "--set when"
check "retracting the first day with hours after it" 1 "$J" --lang en retract "$hire" 4 --reason x
contains "inconsistent, naming the event" "event 5 (Introducer hours logged) would then not hold"
check "retracting the registration" 1 "$J" retract "$hire" 1 --reason x
contains "registration stays" "Registreringen kan inte strykas"
check "retract the second hours entry" 0 "$J" retract "$hire" 6 --reason "dubbelregistrerad"
check "retracting it again" 1 "$J" retract "$hire" 6 --reason x
contains "already retracted" "redan struken"
check "history with corrections" 0 "$J" --json history "$hire"
[ "$(printf '%s' "$out" | json "(d[2]['corrected_by'], d[6]['corrects'], d[6]['reason'], d[5]['retracted_by'])")" = "(7, 3, 'fel datum', 9)" ] &&
  passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL correction history: $out" | head -30; }
check "history table marks the original" 0 "$J" history "$hire"
contains "original marked" "rättad i händelse 7"
contains "correction shows why" "skäl: fel datum"
check "verify with corrections" 0 "$J" verify
check "an undone correction leaves status as it was" 0 "$J" --json status "$hire"
[ "$(printf '%s' "$out" | json "d['hours']['logged']")" = "3.0" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL hours after retraction: $(printf '%s' "$out" | json "d['hours']")"; }

# A CSV's rows need their units set up first: their reminders need a recipient.
for u in "Barn och unga Centrum" "Barn och unga Väster"; do
  check "unit $u for the import" 0 "$J" unit set --unit "$u" --head-name "Anna Berg" \
    --head-email anna@example.se --admin-name "Omar Ali" --admin-email omar@example.se
done
cat > "$work/hires.csv" <<'CSV'
namn;e-post;enhet;startdatum;erfaren
Ali Haddad;ali@example.se;Barn och unga Centrum;2026-10-01;nej
Bo Ek;bo-at-example.se;Barn och unga Centrum;2026-10-01;nej
Eva Sund;eva@example.se;Barn och unga Väster;2026-10-05;ja
CSV
check "import with a bad row" 1 "$J" import "$work/hires.csv"
contains "bad row named" "AVVISAD"
contains "summary" "2 registrerade, 0 fanns redan, 1 avvisade."
check "import again adds no one" 1 "$J" import "$work/hires.csv"
contains "nothing twice" "0 registrerade, 2 fanns redan, 1 avvisade."
# A file saved as Windows-1252 ("M\xe4rta") is refused whole, saying how to save it.
printf 'name,email,unit,start\nM\xe4rta Ek,marta@example.se,Barn och unga Centrum,2026-10-01\n' > "$work/cp1252.csv"
check "a Windows-1252 CSV is refused" 1 "$J" import "$work/cp1252.csv"
contains "how to save it named" 'Spara den som "CSV UTF-8"'
contains "its line named" "rad 2"
printf 'name,email,unit,start\nLis Ek,lis@example.se,Barn och unga Centurm,2026-10-01\n' > "$work/unknown-unit.csv"
check "a row with an unknown unit is refused" 1 "$J" import "$work/unknown-unit.csv"
contains "the unknown unit named" "Barn och unga Centurm"
# Dates outside the value domain (the parser once took any 4-digit year).
check "a start past 2200 is refused" 1 "$J" hire register --name "Per Ås" --email per@example.se \
  --unit "Barn och unga Centrum" --start 4800-01-01
contains "the year range named" "1900-01-01 och 2200-12-31"
check "a lax date is refused" 1 "$J" hire register --name "Per Ås" --email per@example.se \
  --unit "Barn och unga Centrum" --start "2026- 1-05"
contains "the field named" "'start'"
check "three hires" 0 "$J" --json hire list
[ "$(printf '%s' "$out" | json "len(d)")" = "3" ] && passed=$((passed + 1)) ||
  { failed=$((failed + 1)); echo "FAIL hire count: $out"; }

sed 's/^  role = "AD"/  rol = "AD"/' "$PROGRAMMES/gr-forsta-aren.toml" > "$work/bad.toml"
check "bad programme file" 1 "$J" programme validate "$work/bad.toml"
contains "unknown key named with file and field" "bad.toml:"
contains "unknown key named" "'rol'"
check "good programme file" 0 "$J" programme validate "$PROGRAMMES/gr-forsta-aren.toml"

check "unit contacts" 0 "$J" unit set --unit "Barn och unga Hisingen" --head-name "Anna Berg" \
  --head-email anna@example.se --admin-name "Omar Ali" --admin-email omar@example.se --admin-digest \
  --escalation-name "Ingrid Ek" --escalation-email ingrid@example.se
check "unit with a bad e-mail" 1 "$J" unit set --unit X --head-name A --head-email nope --admin-name B \
  --admin-email b@example.se
contains "bad unit e-mail named" "head_email"
check "unit list" 0 "$J" unit list
contains "digest shown" "Omar Ali <omar@example.se> (sammandrag)"
check "simulate" 0 "$J" simulate --hires 5 --days 90 --from 2027-01-04 --seed 3
contains "simulate prints task lists" "task_list"
contains "simulate summary" "utskick på helg- eller helgdag: 0"

check "webhook add" 0 "$J" --json webhook add http://127.0.0.1:9/hook
wh=$(printf '%s' "$out" | json "d['id']")
secret=$(printf '%s' "$out" | json "d['secret']")
[ "${secret#whsec_}" != "$secret" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL secret format"; }
check "secret not in the log" 0 "$J" --json history "$hire"
if grep -rqa -- "${secret#whsec_}" "$JOURNEY_DATA/log"; then failed=$((failed + 1)); echo "FAIL secret in the log"; else passed=$((passed + 1)); fi
[ "$(stat -c %a "$JOURNEY_DATA/webhook-secrets/$wh")" = "600" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL secret file mode"; }
check "webhook rotate" 0 "$J" webhook rotate "$wh"
check "webhook list" 0 "$J" --json webhook list
[ "$(printf '%s' "$out" | json "len(d[0]['fingerprints'])")" = "2" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL rotation keeps two: $out"; }
check "webhook retire-old" 0 "$J" webhook retire-old "$wh"
check "webhook disable" 0 "$J" webhook disable "$wh"
check "scheduler tick" 0 "$J" scheduler run --once
contains "scheduler reports" "omplanerade"
check "notifications" 0 "$J" notifications
check "redeliver an unknown message" 1 "$J" redeliver n-000000000000
check "scheduler rebuild" 0 "$J" scheduler rebuild
check "scheduler after rebuild" 0 "$J" scheduler run --once
check "chain still verifies" 0 "$J" verify
check "views rebuild" 0 "$J" views rebuild
contains "views rebuilt, counted" "Vyerna byggda om från loggen: "
check "views rebuild twice" 0 "$J" --lang en views rebuild
contains "views rebuilt, in English" "Views rebuilt from the log: "
check "views without a subcommand" 106 "$J" views

# Municipalities, units in them, and tokens for journeyd (only hashes stored)
check "municipality set" 0 "$J" municipality set goteborg --name "Göteborgs Stad"
check "municipality bad id" 1 "$J" municipality set "Göteborg" --name X
contains "bad id named" "id"
check "unit in a municipality" 0 "$J" unit set --unit "Barn och unga Väster" --municipality goteborg \
  --head-name "Anna Berg" --head-email anna@gbg.se --admin-name "Adam Ek" --admin-email adam@gbg.se
check "unit in an unknown municipality" 1 "$J" unit set --unit X --municipality nowhere \
  --head-name A --head-email a@x.se --admin-name B --admin-email b@x.se
contains "unknown municipality named" "nowhere"
check "webhook for a municipality" 0 "$J" --json webhook add http://127.0.0.1:9/gbg --municipality goteborg
[ "$(printf '%s' "$out" | json "d['municipality']")" = "goteborg" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL webhook municipality: $out"; }
check "webhook for an unknown municipality" 1 "$J" webhook add http://127.0.0.1:9/x --municipality nowhere
contains "webhook's unknown municipality named" "nowhere"
check "token create" 0 "$J" --json token create --role unit_head --unit "Barn och unga Väster" --name Anna --email anna@gbg.se
token=$(printf '%s' "$out" | json "d['token']")
token_id=$(printf '%s' "$out" | json "d['token_id']")
check "token for a unit role needs units" 1 "$J" token create --role administrator --name X
contains "units named" "units"
check "token list" 0 "$J" --json token list
contains "token listed with its municipality" "goteborg"
if printf '%s' "$out" | grep -qF -- "${token#jt_}"; then failed=$((failed + 1)); echo "FAIL token list shows the secret"; else passed=$((passed + 1)); fi
if grep -rqaF -- "$token" "$JOURNEY_DATA/log"; then failed=$((failed + 1)); echo "FAIL the token is in the log"; else passed=$((passed + 1)); fi
check "token revoke" 0 "$J" token revoke "$token_id"
check "token list after revoke" 0 "$J" --json token list
[ "$(printf '%s' "$out" | json "[t['revoked'] for t in d if t['token_id']=='$token_id'][0]")" = "True" ] && passed=$((passed + 1)) || { failed=$((failed + 1)); echo "FAIL revoked flag: $out"; }
check "chain verifies at the end" 0 "$J" verify
# Backup and restore, as docs/operations.md says: the copy takes the log's place.
check "backup" 0 "$J" backup "$work/backup-1"
contains "backup says where" "Säkerhetskopia i $work/backup-1"
check "backup into an existing folder is refused" 1 "$J" backup "$work/backup-1"
mkdir -p "$work/restored" && cp -a "$work/backup-1" "$work/restored/log"
check "the restored log verifies" 0 "$J" --data "$work/restored" verify
contains "restored with every event" "Kedjan verifierad"
check "the restored log lists the hires" 0 "$J" --data "$work/restored" hire list

echo "journeyctl end to end: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
