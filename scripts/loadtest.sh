#!/usr/bin/env bash
# Load test (docs/load-test.md): gunicorn in its production configuration on PostgreSQL with the 100,000-case
# synthetic catalogue; wrk sends 200 concurrent clients for 60 seconds at the list, search and case pages.
# Three runs: steady, then one worker stopped with SIGTERM mid-run, then one killed with SIGKILL mid-run.
# Everything is local (127.0.0.1). Results go to bench/load/ (gitignored); summarise them in docs/load-test.md.
#
#   scripts/loadtest.sh                    # all three runs
#   LOAD_RUNS=steady scripts/loadtest.sh   # one of: steady term kill
set -euo pipefail
cd "$(dirname "$0")/.."

DB=${LOAD_DB:-sevices_load}
PORT=${LOAD_PORT:-8077}
WORKERS=${LOAD_WORKERS:-4}
CONNECTIONS=${LOAD_CONNECTIONS:-200}
DURATION=${LOAD_DURATION:-60}
THREADS=${LOAD_THREADS:-2}
TIMEOUT=${LOAD_TIMEOUT:-10s}
CASES=${LOAD_CASES:-100000}
RUNS=${LOAD_RUNS:-steady term kill}
OUT=${LOAD_OUT:-bench/load}
PY=.venv/bin/python

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# The production configuration: debug off, a real secret, HTTPS as the TLS proxy reports it, a shared cache.
unset DJANGO_DEBUG
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB"
DJANGO_SECRET_KEY=$($PY -c "import secrets; print(secrets.token_urlsafe(60))")
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export DJANGO_STATIC_ROOT="$OUT/static"
export REDIS_URL=${LOAD_REDIS_URL-redis://127.0.0.1:6379/9}
export DJANGO_LOG_LEVEL=ERROR

psql -h 127.0.0.1 -U postgres -lqt | cut -d'|' -f1 | grep -qw "$DB" || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $DB"
$PY manage.py migrate --noinput -v0
have=$($PY manage.py shell -v0 -c "from incidents.models import Incident; print(Incident.objects.count())")
if [ "$have" -lt "$CASES" ]; then
    echo "== generating $((CASES - have)) synthetic cases (seed 42)"
    $PY manage.py generate_cases --count $((CASES - have)) --seed 42 -v0
fi
$PY manage.py collectstatic --noinput -v0

# A third each: list pages (first pages, sorts, sectors, a few deep pages), searches, case pages. A real site's
# readers concentrate on these; LOAD_SPREAD=1 spreads them over 7,000 URLs instead (a cold-cache worst case).
$PY manage.py shell -v0 -c "
import os, random
from incidents.models import Incident, Sector
rng = random.Random(42)
spread = os.environ.get('LOAD_SPREAD') == '1'
n = 3000 if spread else 150
sectors = list(Sector.objects.values_list('slug', flat=True))
words = ['refund', 'remboursement', 'delay', 'retard', 'bank', 'train', 'parcel', 'colis', 'invoice', 'facture',
         'apology', 'excuses', 'insurance', 'assurance', 'flight', 'vol', 'internet', 'contract', 'fraud', 'dress']
lists = ['/cases/', '/cases/?sort=cost', '/cases/?sort=slowest', '/cases/?apology=refused']
lists += ['/cases/?page=%d' % rng.randint(2, 5000 if spread else 30) for _ in range(n)]
lists += ['/cases/?sector=%s&page=%d' % (rng.choice(sectors), rng.randint(1, 20 if spread else 2)) for _ in range(n)]
searches = ['/cases/?q=%s' % rng.choice(words) for _ in range(n)]
searches += ['/cases/?q=%s+%s' % (rng.choice(words), rng.choice(words)) for _ in range(n)]
cases = Incident.objects.published().order_by('?').values_list('pk', 'slug')[:n]
urls = sorted(set(lists))[:n] + sorted(set(searches))[:n] + ['/cases/%d/%s/' % case for case in cases]
rng.shuffle(urls)
print('\\n'.join(urls))
" > "$OUT/urls.txt"
export LOAD_URLS="$OUT/urls.txt"
echo "== $(wc -l < "$OUT/urls.txt") URLs: list pages, searches and case pages"

.venv/bin/gunicorn sevices.wsgi --workers "$WORKERS" --bind "127.0.0.1:$PORT" --timeout 60 --graceful-timeout 30 \
    --pid "$OUT/gunicorn.pid" --error-logfile "$OUT/gunicorn.log" &
master=$!
trap 'kill -TERM $master 2>/dev/null || true; wait $master 2>/dev/null || true' EXIT
for _ in $(seq 60); do
    curl -fsS -o /dev/null -H "X-Forwarded-Proto: https" "http://127.0.0.1:$PORT/cases/" && break
    sleep 1
done

warm() {  # every URL once, two at a time: the runs then measure a site that has been up a while
    echo "== warming the page cache"
    xargs -P 2 -I{} curl -s -o /dev/null -H "X-Forwarded-Proto: https" "http://127.0.0.1:$PORT{}" < "$OUT/urls.txt"
}

run() {
    local name=$1 signal=${2:-}
    echo "== $name: $CONNECTIONS clients for ${DURATION}s${signal:+, one worker sent SIG$signal after $((DURATION / 3))s}"
    echo "   load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout "$TIMEOUT" --latency -s scripts/loadtest.lua \
        "http://127.0.0.1:$PORT" > "$OUT/$name.txt" &
    local client=$!
    if [ -n "$signal" ]; then
        sleep $((DURATION / 3))
        local worker
        worker=$(pgrep -P "$master" | head -1)
        echo "   sending SIG$signal to worker $worker"
        kill -"$signal" "$worker"
    fi
    wait "$client"
    tail -1 "$OUT/$name.txt" | tee "$OUT/$name.json"
}

[ "${LOAD_WARM:-1}" = 1 ] && warm
for name in $RUNS; do
    case $name in
        steady) run steady ;;
        term) run term TERM ;;
        kill) run kill KILL ;;
    esac
done
echo "== gunicorn's log: $OUT/gunicorn.log"
