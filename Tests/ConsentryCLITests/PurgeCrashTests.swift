import ConsentTesting
import Foundation
import Testing

extension CLISuite {
    /// `consentry purge` killed with SIGKILL at every step and at random moments: each dataset is
    /// afterwards entirely its old version or entirely its new one, `datasets verify` says so, and
    /// the next purge finishes the job.
    struct PurgeCrashTests {
        /// 2,000 adult US members (eligible by default), exported in 4 shards, and a registered
        /// filtered file of `posts` posts; members 7 and 1234 then have an objection upheld.
        func prepared(posts: Int = 20_000) throws -> CLIRunner {
            let cli = try CLIRunner()
            #expect(try cli.run(["policy", "apply", try cli.write("policy.yaml", Fixtures.examplePolicyYAML)]).status == 0)
            var members = ""
            for index in 0..<2000 {
                members += #"{"id": "u\#(index)", "birth_date": "1980-01-01", "country": "US", "data": {"profile.headline": "member \#(index)"}}"# + "\n"
            }
            #expect(try cli.run(["import", "members", try cli.write("members.jsonl", members)]).status == 0)
            let export = try cli.run(["export", "--out", cli.path("export"), "--shard-records", "500", "--name", "all"])
            #expect(export.status == 0, "\(export.stderr)")
            var lines = ""
            for index in 0..<posts {
                lines += #"{"text": "post \#(index) with some words to make it longer", "member_id": "u\#(index % 2000)"}"# + "\n"
            }
            let filter = try cli.run(["filter", try cli.write("posts.jsonl", lines), "--category", "content.posts", "--no-record-times", "--out", cli.path("kept.jsonl"),
                                      "--register", "posts"])
            #expect(filter.status == 0, "\(filter.stderr)")
            for member in ["u7", "u1234"] {
                let id = try cli.run(["objections", "file", "--member", member]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(try cli.run(["objections", "decide", id, "--uphold", "--reason", "Upheld"]).status == 0)
            }
            return cli
        }

        /// How many records of the objecting members each dataset's files hold now.
        func objectingRecords(_ cli: CLIRunner) throws -> (export: Int, posts: Int) {
            func count(_ path: String, _ pattern: String) throws -> Int {
                try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
                    .filter { $0.contains("\"u7\"") || $0.contains("\"u1234\"") }.filter { $0.contains(pattern) }.count
            }
            let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: cli.path("export/manifest.json")))) as? [String: Any])
            let files = try #require(manifest["files"] as? [[String: Any]]).compactMap { $0["name"] as? String }
            let export = try files.reduce(0) { $0 + (try count(cli.path("export/" + $1), "member")) }
            return (export, try count(cli.path("kept.jsonl"), "member_id"))
        }

        /// `datasets verify` finds every dataset intact on disk (it still fails while a dataset holds
        /// an objector: the purge is not finished), and each dataset holds the objecting members
        /// entirely or not at all.
        func expectWholeVersions(_ cli: CLIRunner, _ when: String, posts total: Int = 20) throws {
            let verify = try cli.run(["datasets", "verify"])
            #expect(verify.lines.count == 2 && verify.lines.allSatisfy { $0.contains(": intact, version ") } && !verify.stdout.contains("DAMAGED"),
                    "after \(when): \(verify.stdout) \(verify.stderr)")
            #expect(verify.status == 0 || verify.stdout.contains("whose objection was upheld"), "after \(when): \(verify.stdout)")
            let (export, posts) = try objectingRecords(cli)
            #expect(export == 0 || export == 2, "after \(when): the export holds \(export) of the 2 records")
            #expect(posts == 0 || posts == total, "after \(when): the posts hold \(posts) of the \(total) records")
        }

        /// `versions`: what a dataset may be at once purged. After one interrupted purge, 2, or 3
        /// when its pending version 2 was abandoned; every abandoned pending version adds one.
        func expectPurgedAndCompleted(_ cli: CLIRunner, versions: ClosedRange<Int> = 2...3) throws {
            let verify = try cli.run(["datasets", "verify"])
            #expect(verify.status == 0 && verify.lines.count == 2, "\(verify.stdout)")
            #expect(verify.lines.allSatisfy { line in
                versions.contains { line.contains("intact, version \($0) on disk") }
                    && !line.contains("store still says") && !line.contains("interrupted")
            }, "\(verify.stdout)")
            #expect(try objectingRecords(cli) == (0, 0))
            let completed = try cli.run(["objections", "list", "--status", "completed"])
            #expect(completed.lines.count == 2, "\(completed.stdout)")
            let lineage = try cli.run(["lineage", "--member", "u7"])
            #expect(lineage.stdout.contains(#""holds_member":false"#) && !lineage.stdout.contains(#""holds_member":true"#))
            #expect(try cli.run(["audit", "verify"]).status == 0)
        }

        @Test(arguments: ["purge-files-written", "purge-pending-recorded", "purge-switched", "purge-committed"])
        func killedAtAStepThePurgeLeavesWholeVersionsAndTheNextRunFinishes(failpoint: String) throws {
            let cli = try prepared()
            let killed = try cli.run(["purge", "--all"], environment: ["CONSENTRY_FAILPOINT": failpoint])
            #expect(killed.status == SIGKILL, "the purge should die at \(failpoint): \(killed.stdout) \(killed.stderr)")
            try expectWholeVersions(cli, failpoint)
            let resumed = try cli.run(["purge", "--all"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            if failpoint == "purge-pending-recorded" { #expect(resumed.stdout.contains("interrupted purge abandoned v2")) }
            if failpoint == "purge-switched" { #expect(resumed.stdout.contains("interrupted purge committed v2")) }
            try expectPurgedAndCompleted(cli)
        }

        @Test func killedAtRandomMomentsThePurgeNeverLeavesHalfADataset() throws {
            let cli = try prepared(posts: 200_000)
            var generator = SystemRandomNumberGenerator()
            var kills = 0
            for round in 0..<8 {
                if try cli.runKilled(["purge", "--all"], after: UInt32.random(in: 1_000...(60_000 * UInt32(round + 1)), using: &generator)).killed {
                    kills += 1
                }
                try expectWholeVersions(cli, "random kill \(round)", posts: 200)
            }
            let finished = try cli.run(["purge", "--all"])
            #expect(finished.status == 0, "\(finished.stderr)")
            // Each of the 8 kills may have abandoned a pending version.
            try expectPurgedAndCompleted(cli, versions: 2...10)
            #expect(kills > 0, "no purge was interrupted; the rounds prove nothing")
        }
    }
}
