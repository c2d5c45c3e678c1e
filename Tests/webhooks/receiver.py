"""A webhook receiver that checks every delivery with the `standardwebhooks` package.

Usage: receiver.py SECRET LOG  — prints its port, then serves on 127.0.0.1. Each POST is checked
with standardwebhooks.Webhook(SECRET).verify(body, headers): a delivery that verifies is
appended to LOG as one JSON line {"id", "timestamp", "signature", "type", "body"} and answered
204; anything else is answered 401 and logged as {"refused": reason}.
"""
import http.server
import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

secret, log_path = sys.argv[1], sys.argv[2]
webhook = Webhook(secret)


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            webhook.verify(body, headers)
        except WebhookVerificationError as error:
            self.record({"refused": str(error)})
            self.send_response(401)
            self.end_headers()
            return
        self.record({"id": headers["webhook-id"], "timestamp": headers["webhook-timestamp"],
                     "signature": headers["webhook-signature"], "type": headers.get("consentry-event-type"),
                     "body": body.decode()})
        self.send_response(204)
        self.end_headers()

    def record(self, entry):
        with open(log_path, "a") as log:
            log.write(json.dumps(entry) + "\n")

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
server.serve_forever()
