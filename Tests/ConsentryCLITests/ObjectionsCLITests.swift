import Foundation
import Testing

/// `objections overdue` for cron jobs and alerts, and the outbox the changes fill.
@Suite(.serialized)
struct ObjectionsCLITests {
    @Test func overdueExitsOneOnlyWhileAnObjectionIsPastItsDeadline() throws {
        let cli = try CLITests().seeded()
        #expect(try cli.run(["objections", "overdue"]).status == 0)
        let old = try cli.run(["objections", "file", "--member", "urn:li:member:3", "--at", "2025-12-01T00:00:00Z"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let fresh = try cli.run(["objections", "file", "--member", "urn:li:member:6"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let overdue = try cli.run(["objections", "overdue", "--at", "2026-01-10T00:00:00Z"])
        #expect(overdue.status == 1 && overdue.stderr.contains("1 overdue"), "\(overdue.stderr)")
        #expect(overdue.lines.count == 1 && overdue.stdout.contains(old) && overdue.stdout.contains(#""days_overdue":10"#), "\(overdue.stdout)")
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
}
