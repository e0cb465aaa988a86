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
python3 - "$data/apdir.db" "$threads" "$per_thread" "$port" <<'PY'
import http.cookiejar, random, re, sqlite3, statistics, sys, time, urllib.parse, urllib.request
db, threads, per_thread, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
base = f"http://127.0.0.1:{port}"
rng = random.Random(7)
words = ("phased return key worker reintegration timetable maths english functional skills "
         "entry level gcse btec construction hair beauty catering horticulture mentoring "
         "attendance safeguarding training trauma informed practice transport lunch panel "
         "assessment qualification board pearson aqa ocr city guilds motor vehicle sport "
         "outdoor learning therapy counselling anxiety school refusal exclusion review").split()
con = sqlite3.connect(db, timeout=30)
stamp = con.execute("SELECT updated_at FROM forum_posts LIMIT 1").fetchone()[0]
cats = [r[0] for r in con.execute("SELECT id FROM forum_categories ORDER BY id")]
users = [r[0] for r in con.execute(
    "SELECT id FROM users WHERE role IN ('provider', 'progressions') AND active ORDER BY id LIMIT 40")]
t0 = time.time()
with con:
    for t in range(threads):
        title = " ".join(rng.choice(words) for _ in range(5)).capitalize()
        cur = con.execute(
            "INSERT INTO forum_threads (category_id, title, author_id, created_at, last_post_at) "
            "VALUES (?, ?, ?, ?, ?)", (cats[t % len(cats)], title, rng.choice(users), stamp, stamp))
        tid = cur.lastrowid
        for _ in range(per_thread):
            text = " ".join(rng.choice(words) for _ in range(rng.randint(30, 120)))
            status = "held" if rng.random() < 0.02 else "published"
            con.execute(
                "INSERT INTO forum_posts (thread_id, author_id, source, html, status, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (tid, rng.choice(users), text, "<p>" + text + "</p>", status, stamp, stamp))
n_posts = con.execute("SELECT COUNT(*) FROM forum_posts").fetchone()[0]
print(f"seeded {threads} threads x {per_thread} posts in {time.time() - t0:.1f} s; {n_posts} posts in all")
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
page = op.open(base + "/login").read().decode()
token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
op.open(base + "/login", urllib.parse.urlencode({
    "csrf_token": token, "email": "provider@demo.test", "password": "demo-password-2026"}).encode())
def timed(path):
    s = time.perf_counter()
    with op.open(base + path) as r:
        body = r.read()
        assert r.status == 200, (path, r.status)
    return (time.perf_counter() - s) * 1000, len(body)
first, _ = timed("/forum/search?q=reintegration")
print(f"first search (fills the index from SQL): {first:.0f} ms")
def report(name, paths):
    ms = sorted(timed(p)[0] for p in paths)
    p95 = ms[int(len(ms) * 0.95) - 1]
    print(f"{name}: median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms ({len(ms)} requests)")
report("search, one word", [f"/forum/search?q={rng.choice(words)}" for _ in range(200)])
report("search, two words", [f"/forum/search?q={rng.choice(words)}+{rng.choice(words)}" for _ in range(200)])
report("unread list", ["/forum/unread"] * 50)
report("category page", ["/forum/questions"] * 50)
tid = con.execute("SELECT MAX(id) FROM forum_threads").fetchone()[0]
report(f"thread page ({per_thread} posts)", [f"/forum/threads/{tid}"] * 100)
PY
