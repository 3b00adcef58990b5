#!/usr/bin/env python3
"""Writes N realistic JSON log lines (~190 bytes each) to stdout:
timestamp, level, service, message, user_id, client_ip, latency_ms."""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 42
rnd = random.Random(seed)
levels = ["info"] * 70 + ["debug"] * 15 + ["warn"] * 10 + ["error"] * 5
services = ["api-gateway", "checkout", "auth", "search", "inventory", "payments", "notifications"]
messages = [
    "request completed", "user logged in", "cache miss for key", "payment authorised",
    "upstream timeout, retrying", "order created", "rate limit exceeded for client",
    "session refreshed", "database query slow", "item added to cart",
]
out = sys.stdout
buf = []
base = 1_763_990_400  # 2025-11-24T13:20:00Z
for i in range(n):
    t = base + i // 1000
    ms = i % 1000
    sec = t % 60
    minute = (t // 60) % 60
    hour = (t // 3600) % 24
    buf.append(
        '{"timestamp":"2025-11-24T%02d:%02d:%02d.%03dZ","level":"%s","service":"%s","message":"%s id=%08x",'
        '"user_id":"u-%06d","client_ip":"10.%d.%d.%d","latency_ms":%d.%03d}\n'
        % (hour, minute, sec, ms, rnd.choice(levels), rnd.choice(services), rnd.choice(messages),
           rnd.getrandbits(32), rnd.randrange(1_000_000), rnd.randrange(256), rnd.randrange(256),
           rnd.randrange(256), rnd.randrange(2000), rnd.randrange(1000)))
    if len(buf) >= 10000:
        out.write("".join(buf))
        buf.clear()
out.write("".join(buf))
