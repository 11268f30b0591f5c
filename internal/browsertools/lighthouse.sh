#!/usr/bin/env bash
# Lighthouse's accessibility, SEO and best-practices scores for the home
# page, a vlog with a video and comments, and a form (sign-up), as an
# anonymous reader sees them. It builds vlogd, serves a fresh data
# directory on a free local port, fills it through the forms with curl,
# runs Lighthouse (npm, locked in lighthouse/) in headless Chromium and
# prints one line per page. Exits non-zero if any score is below 100.
#
#   internal/browsertools/lighthouse.sh
#
# Needs go, curl, npm and chromium (Debian's packages).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lh="$here/lighthouse"
[ -x "$lh/node_modules/.bin/lighthouse" ] || (cd "$lh" && npm ci --no-audit --no-fund --loglevel=error)

work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

(cd "$root" && go build -o "$work/vlogd" ./cmd/vlogd)
"$work/vlogd" --addr 127.0.0.1:0 --data "$work/data" 2>"$work/log" &
pid=$!
base=""
for _ in $(seq 1 600); do
  base=$(grep -o 'msg=listening addr=http://127\.0\.0\.1:[0-9]*' "$work/log" | sed 's/.*addr=//' || true)
  [ -n "$base" ] && break
  sleep 0.1
done
[ -n "$base" ] || { cat "$work/log"; echo "vlogd did not start" >&2; exit 1; }

jar="$work/cookies"
token() { curl -sf -b "$jar" -c "$jar" "$base$1" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
curl -sf -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf=$(token /signup)" \
  --data-urlencode username=owner --data-urlencode "password=lighthouse-check-1" "$base/signup"
curl -sf -o /dev/null -b "$jar" -c "$jar" -F "csrf=$(token /vlogs/new)" -F "title=A morning by the lake" \
  -F "body=Mist over the water; more at https://example.com/lake." -F "video=@$root/testdata/media/clip.webm" "$base/vlogs"
curl -sf -o /dev/null -b "$jar" -c "$jar" --data-urlencode "csrf=$(token /vlogs/1)" \
  --data-urlencode "body=What a view." "$base/vlogs/1/comments"

export CHROME_PATH="${CHROME_PATH:-$(command -v chromium)}"
status=0
for path in / /vlogs/1 /signup; do
  "$lh/node_modules/.bin/lighthouse" "$base$path" --quiet --output=json --output-path="$work/report.json" \
    --only-categories=accessibility,seo,best-practices --chrome-flags="--headless=new --no-sandbox --disable-dev-shm-usage"
  node -e '
    const r = require(process.argv[1]);
    const s = k => Math.round(r.categories[k].score * 100);
    const line = [process.argv[2], "accessibility", s("accessibility"), "seo", s("seo"), "best-practices", s("best-practices")];
    console.log(line.join(" "));
    for (const k of ["accessibility", "seo", "best-practices"]) {
      for (const ref of r.categories[k].auditRefs) {
        const a = r.audits[ref.id];
        if (ref.weight > 0 && a.score !== null && a.score < 1) console.log("  " + k + ": " + a.id + ": " + a.title);
      }
    }
    process.exit(["accessibility", "seo", "best-practices"].every(k => s(k) === 100) ? 0 : 1);
  ' "$work/report.json" "$path" || status=1
done
exit $status
