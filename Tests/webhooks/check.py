"""Checks what the receiver logged, with the `standardwebhooks` package and the store itself.

Usage: check.py SECRET LOG STORE CODE_REQUEST
- every event the store holds was delivered once and verified (webhook-id = event id);
- the non-member's verification delivery carried its 8-digit code, and the store no longer holds
  it: no outbox row has a code, no payload contains it;
- each delivery carries the message to send in the person's language: the member's objection was
  filed in German, the non-member asked in French (and their message holds the code);
- a captured delivery is refused when replayed with its signature under another timestamp, when
  its timestamp is ten minutes old, and when one byte of its body is flipped.
"""
import json
import sqlite3
import sys
import time

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

secret, log_path, store_path, request_id = sys.argv[1:5]
webhook = Webhook(secret)
entries = [json.loads(line) for line in open(log_path)]
refused = [entry for entry in entries if "refused" in entry]
delivered = [entry for entry in entries if "id" in entry]


def fail(message):
    print("webhook-receiver: " + message, file=sys.stderr)
    sys.exit(1)


if refused:
    fail(f"the receiver refused {len(refused)} deliveries: {refused[0]['refused']}")
store = sqlite3.connect(store_path)
events = [row[0] for row in store.execute("SELECT id FROM outbox ORDER BY sequence")]
ids = [entry["id"] for entry in delivered]
if sorted(set(ids)) != sorted(events):
    fail(f"{len(events)} events in the outbox, {len(set(ids))} delivered")
if len(ids) != len(set(ids)):
    fail("an event was accepted twice")

verification = [entry for entry in delivered if entry["type"] == "objection.verification"
                and json.loads(entry["body"]).get("request") == request_id]
if len(verification) != 1:
    fail("the non-member's verification was not delivered")
code = json.loads(verification[0]["body"]).get("code")
if not (isinstance(code, str) and len(code) == 8 and code.isdigit()):
    fail(f"the verification delivery carried no code: {verification[0]['body']}")
message = json.loads(verification[0]["body"]).get("message") or {}
if message.get("subject") != "Votre code pour confirmer votre opposition" or code not in message.get("text", ""):
    fail(f"the non-member's code did not come with a message in French holding it: {message}")
received = [json.loads(entry["body"]) for entry in delivered if entry["type"] == "objection.received"]
if [body.get("message", {}).get("subject") for body in received] != ["Wir haben Ihren Widerspruch erhalten"]:
    fail(f"the member's objection was not acknowledged in German: {received}")
left = store.execute("SELECT count(*) FROM outbox WHERE code IS NOT NULL").fetchone()[0]
holding = store.execute("SELECT count(*) FROM outbox WHERE payload LIKE ?", (f"%{code}%",)).fetchone()[0]
if left or holding:
    fail(f"the store still holds codes: {left} in the code column, {holding} payloads with the delivered one")

# Replays of a captured delivery.
captured = delivered[0]
body = captured["body"].encode()
headers = {"webhook-id": captured["id"], "webhook-timestamp": captured["timestamp"], "webhook-signature": captured["signature"]}
now = str(int(time.time()))
tampered = {
    "its signature under another timestamp": dict(headers, **{"webhook-timestamp": now}),
    "ten minutes later": dict(headers, **{"webhook-timestamp": str(int(captured["timestamp"]) - 600)}),
}
for what, fields in tampered.items():
    try:
        webhook.verify(body, fields)
        fail(f"a captured delivery replayed with {what} was accepted")
    except WebhookVerificationError:
        pass
flipped = bytearray(body)
flipped[len(flipped) // 2] ^= 0x01
try:
    webhook.verify(bytes(flipped), dict(headers, **{"webhook-timestamp": now}))
    fail("a delivery with a flipped byte was accepted")
except WebhookVerificationError:
    pass
print(f"webhook-receiver: {len(set(ids))} deliveries verified with standardwebhooks, the code forgotten, 3 replays refused")
