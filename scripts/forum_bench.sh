#!/usr/bin/env bash
# Forum timings at a busy council's size, against a release build on loopback.
#   scripts/forum_bench.sh [THREADS] [POSTS_PER_THREAD]   (default 2000 threads x 10 posts)
# Adds the threads and posts to the demo database directly (spread over the six categories,
# about one in 50 held), signs in as the demo provider, and times with sequential requests:
# the first search after start (the index is filled from SQL then), later searches, the
# unread list, a category page and a thread page. Prints median and p95 of each.
set -euo pipefail
threads=${1:-2000}
per_thread=${2:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${PORT:-18093}
. scripts/demo_server.sh
start_demo_server release "$port"
jar="$data/jar"
token=$(curl -fsS -c "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf_token" value="[^"]*' | sed 's/.*value="//')
COOKIE=$(curl -sS -b "$jar" -D - -o /dev/null --data-urlencode "csrf_token=$token" \
  --data-urlencode "email=provider@demo.test" --data-urlencode "password=demo-password-2026" \
  "http://127.0.0.1:$port/login" | tr -d '\r' | grep -i '^set-cookie: apdir_session=' \
  | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//')
[ -n "$COOKIE" ] || { echo "could not sign in"; exit 1; }
export COOKIE
python3 - "$data/apdir.db" "$threads" "$per_thread" "$port" <<'PY'
import os, random, re, sqlite3, statistics, sys, time, urllib.parse, urllib.request
db, threads, per_thread, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = f"http://127.0.0.1:{port}"
rng = random.Random(7)
words = ("phased return key worker reintegration timetable maths english functional skills "
         "entry level gcse btec construction hair beauty catering horticulture mentoring "
         "attendance safeguarding training trauma informed practice transport lunch panel "
         "assessment qualification board pearson aqa ocr city guilds motor vehicle sport "
         "outdoor learning therapy counselling anxiety school refusal exclusion review").split()
con = sqlite3.connect(db, timeout=30)
# One post a minute up to now, as the app would have written them over two weeks (the search
# index follows `updated_at`, looking 5 minutes back each time).
import datetime
now = datetime.datetime.now(datetime.timezone.utc)
total = threads * per_thread
def stamp(i):
    return (now - datetime.timedelta(minutes=total - i)).isoformat(timespec="seconds")
cats = [r[0] for r in con.execute("SELECT id FROM forum_categories ORDER BY id")]
users = [r[0] for r in con.execute(
    "SELECT id FROM users WHERE role IN ('provider', 'progressions') AND active ORDER BY id LIMIT 40")]
t0 = time.time()
with con:
    i = 0
    for t in range(threads):
        title = " ".join(rng.choice(words) for _ in range(5)).capitalize()
        cur = con.execute(
            "INSERT INTO forum_threads (category_id, title, author_id, created_at, last_post_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (cats[t % len(cats)], title, rng.choice(users), stamp(i), stamp(i + per_thread - 1)))
        tid = cur.lastrowid
        for _ in range(per_thread):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(30, 120)))
            status = "held" if rng.random() < 0.02 else "published"
            con.execute(
                "INSERT INTO forum_posts (thread_id, author_id, source, html, status, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (tid, rng.choice(users), text, "<p>" + text + "</p>", status, stamp(i), stamp(i)))
            i += 1
n_posts = con.execute("SELECT COUNT(*) FROM forum_posts").fetchone()[0]
print(f"seeded {threads} threads x {per_thread} posts in {time.time() - t0:.1f} s; {n_posts} posts in all")
op = urllib.request.build_opener()
op.addheaders = [("Cookie", os.environ["COOKIE"])]
def timed(path):
    s = time.perf_counter()
    with op.open(base + path) as r:
        body = r.read()
        assert r.status == 200, (path, r.status)
    return (time.perf_counter() - s) * 1000, len(body)
first, _ = timed("/forum/search?q=reintegration")
print(f"first search (fills the index from SQL): {first:.0f} ms")
def report(name, paths):
    ms = [timed(p)[0] for p in paths]
    if os.environ.get("VERBOSE"):
        print(name, " ".join(f"{m:.0f}" for m in ms))
    ms.sort()
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"{name}: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms ({len(ms)} requests)")
report("search, one word", [f"/forum/search?q={rng.choice(words)}" for _ in range(200)])
report("search, two words", [f"/forum/search?q={rng.choice(words)}+{rng.choice(words)}" for _ in range(200)])
report("unread list", ["/forum/unread"] * 50)
report("category page", ["/forum/questions"] * 50)
tid = con.execute("SELECT MAX(id) FROM forum_threads").fetchone()[0]
report(f"thread page ({per_thread} posts)", [f"/forum/threads/{tid}"] * 100)
PY
