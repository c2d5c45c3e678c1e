#!/usr/bin/env bash
# Adds what the walkthrough leaves out: an idempotent PUT, a non-member's verified request and a delivered webhook.
set -eu
bin=/tmp/fx/consentry-legacy
export CONSENTRY_JWT_SECRET=fixture-secret-fixture-secret-fixture-42
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" serve --port "$port" > /tmp/fx/serve.log 2>&1 & pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
tok=$("$bin" token --member urn:li:member:1001)
for i in 1 2; do curl -sf -X PUT -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -H 'Idempotency-Key: fixture-1' -H 'X-Consentry-Channel: android' \
  -d '{"enabled": false}' "http://127.0.0.1:$port/api/v1/me/ai-training" >/dev/null; done
req=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"email":"someone@example.org","identifiers":["https://example.org/post/1"],"reason":"my photo"}' "http://127.0.0.1:$port/objections/public" | python3 -c 'import json,sys; print(json.load(sys.stdin)["request"])')
code=$("$bin" outbox list --pending | python3 -c 'import json,sys
for l in sys.stdin:
    e=json.loads(l)
    if e["type"]=="objection.verification": print(json.loads(e["payload"])["code"] if isinstance(e["payload"],str) else e["payload"]["code"])' | tail -1)
curl -s -X POST -H 'Content-Type: application/json' -d "{\"request\":\"$req\",\"code\":\"00000000\"}" "http://127.0.0.1:$port/objections/public/verify" >/dev/null
curl -sf -X POST -H 'Content-Type: application/json' -d "{\"request\":\"$req\",\"code\":\"$code\"}" "http://127.0.0.1:$port/objections/public/verify" >/dev/null
kill $pid; wait $pid 2>/dev/null || true
# One delivered and one failed delivery attempt.
python3 -m http.server 0 >/dev/null 2>&1 & true
CONSENTRY_WEBHOOK_URL=http://127.0.0.1:9/unreachable CONSENTRY_WEBHOOK_SECRET=fixture-webhook-secret-123 "$bin" outbox deliver || true
"$bin" outbox list | head -2
