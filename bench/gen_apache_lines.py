#!/usr/bin/env python3
"""Writes N realistic Apache combined-format access lines to stdout."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rnd = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 7)
paths = ["/", "/index.html", "/blog/2025/11/logs-at-scale", "/api/v1/items", "/api/v1/items/4711", "/static/app.js",
         "/static/style.css", "/images/logo.png", "/search", "/login", "/cart", "/favicon.ico"]
queries = ["", "", "", "?q=weir&page=2", "?id=42", "?utm_source=newsletter&utm_medium=email"]
methods = ["GET"] * 90 + ["POST"] * 7 + ["HEAD"] * 3
statuses = [200] * 80 + [304] * 8 + [404] * 6 + [301] * 3 + [500] * 2 + [403]
agents = [
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "curl/8.4.0",
]
referrers = ["-", "https://www.example.com/", "https://www.google.com/", "https://news.example.org/item?id=9"]
months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
out = []
for i in range(n):
    s = i // 50
    status = rnd.choice(statuses)
    size = "-" if status == 304 else str(rnd.randrange(200, 60000))
    out.append('%d.%d.%d.%d - - [%02d/%s/2025:%02d:%02d:%02d +0000] "%s %s%s HTTP/1.1" %d %s "%s" "%s"\n' % (
        rnd.randrange(1, 224), rnd.randrange(256), rnd.randrange(256), rnd.randrange(1, 255),
        24, months[10], (s // 3600) % 24, (s // 60) % 60, s % 60,
        rnd.choice(methods), rnd.choice(paths), rnd.choice(queries), status, size,
        rnd.choice(referrers), rnd.choice(agents)))
    if len(out) >= 10000:
        sys.stdout.write("".join(out))
        out.clear()
sys.stdout.write("".join(out))
