import Foundation
import Testing

extension CLISuite {
    /// `objections overdue` for cron jobs and alerts, and the outbox the changes fill.
    struct ObjectionsCLITests {
        @Test func overdueExitsOneOnlyWhileAnObjectionIsPastItsDeadline() throws {
            let cli = try CLITests().seeded()
            #expect(try cli.run(["objections", "overdue"]).status == 0)
            let old = try cli.run(["objections", "file", "--member", "urn:li:member:3", "--at", "2025-12-01T00:00:00Z"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let fresh = try cli.run(["objections", "file", "--member", "urn:li:member:6"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let overdue = try cli.run(["objections", "overdue", "--at", "2026-01-10T00:00:00Z"])
            #expect(overdue.status == 1 && overdue.stderr.contains("1 overdue"), "\(overdue.stderr)")
            #expect(overdue.lines.count == 1 && overdue.stdout.contains(old) && overdue.stdout.contains(#""days_overdue":9"#), "\(overdue.stdout)")
            #expect(!overdue.stdout.contains(fresh))
            // Deciding it ends the alert.
            #expect(try cli.run(["objections", "decide", old, "--reject", "--reason", "No data of yours", "--at", "2026-01-10T00:00:00Z"]).status == 0)
            #expect(try cli.run(["objections", "overdue", "--at", "2026-01-10T00:00:00Z"]).status == 0)

            // Every change was queued for the member, in order, each with its own id.
            let outbox = try cli.run(["outbox", "list", "--pending"])
            let types = outbox.lines.compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["type"] as? String
            }
            #expect(types == ["objection.received", "objection.received", "objection.rejected"], "\(outbox.stdout)")
            #expect(outbox.stdout.contains(#""subject":"\#(old)""#) && outbox.stdout.contains(#""attempts":0"#))
        }

        @Test func deliverPostsThePendingEventsToTheWebhookOnce() throws {
            let cli = try CLITests().seeded()
            _ = try cli.run(["objections", "file", "--member", "urn:li:member:3"])
            // A receiver on a free loopback port that logs each body and answers 204.
            let receiver = Process()
            receiver.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            receiver.arguments = ["-c", """
                import http.server, sys
                class H(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        body = self.rfile.read(int(self.headers["Content-Length"]))
                        with open(sys.argv[1], "ab") as log:
                            log.write(self.headers["Consentry-Event-Type"].encode() + b" " + body + b"\\n")
                        self.send_response(204); self.end_headers()
                    def log_message(self, *args): pass
                server = http.server.HTTPServer(("127.0.0.1", 0), H)
                print(server.server_address[1], flush=True)
                server.serve_forever()
                """, cli.path("received.log")]
            let out = Pipe()
            receiver.standardOutput = out
            receiver.standardError = FileHandle.nullDevice
            try receiver.run()
            defer {
                kill(receiver.processIdentifier, SIGKILL)
                receiver.waitUntilExit()
            }
            let port = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            var environment = ["CONSENTRY_WEBHOOK_URL": "http://127.0.0.1:\(port)/hook",
                               "CONSENTRY_WEBHOOK_SECRET": "whsec_" + Data(repeating: 1, count: 32).base64EncodedString()]
            let refused = try cli.run(["outbox", "deliver"], environment: environment)
            #expect(refused.status != 0 && refused.stderr.contains("plain http"), "\(refused.stderr)")
            environment["CONSENTRY_WEBHOOK_ALLOW_HTTP"] = "1"
            let first = try cli.run(["outbox", "deliver"], environment: environment)
            #expect(first.status == 0 && first.stdout.contains("delivered 1, failed 0"), "\(first.stdout) \(first.stderr)")
            let again = try cli.run(["outbox", "deliver"], environment: environment)
            #expect(again.stdout.contains("delivered 0, failed 0"), "a delivered event is not sent again")
            let log = try String(contentsOfFile: cli.path("received.log"), encoding: .utf8)
            #expect(log.hasPrefix("objection.received {") && log.contains("urn:li:member:3"), "\(log)")
            #expect(try cli.run(["outbox", "list", "--pending"]).stdout.isEmpty)
            #expect(try cli.run(["outbox", "deliver"]).stderr.contains("set CONSENTRY_WEBHOOK_URL"))
        }
    }
}
