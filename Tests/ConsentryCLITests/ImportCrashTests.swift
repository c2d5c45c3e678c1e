import ConsentTesting
import Foundation
import GRDB
import Testing

extension CLISuite {
    /// An import into a SQLite store nothing else holds writes through a rollback journal, not
    /// the WAL. Killed with SIGKILL just before its commit (most of it already in the file, the
    /// journal hot) or at random moments, it leaves the store as it was or wholly imported:
    /// the next command rolls the journal back, `audit verify` passes, and the import can be
    /// run again.
    struct ImportCrashTests {
        static func members(_ ids: Range<Int>, country: String = "US") -> String {
            ids.map { #"{"id": "u\#($0)", "birth_date": "1980-01-01", "country": "\#(country)", "data": {"profile.headline": "member \#($0), with a few words"}}"# }
                .joined(separator: "\n") + "\n"
        }

        /// Members, log entries, and member u5's country; read after a `consentry` command has
        /// opened the store (and rolled back what a crash left).
        static func state(_ cli: CLIRunner) throws -> (members: Int, log: Int, country: String?) {
            try DatabaseQueue(path: cli.db).read { db in
                (try Int.fetchOne(db, sql: "SELECT count(*) FROM members") ?? -1, try Int.fetchOne(db, sql: "SELECT count(*) FROM audit_log") ?? -1,
                 try String.fetchOne(db, sql: "SELECT country FROM members WHERE id = 'u5'"))
            }
        }

        /// WAL mode, as the file's header records it (bytes 18 and 19 are 2).
        static func inWALMode(_ path: String) throws -> Bool {
            let file = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? file.close() }
            let header = Array(try file.read(upToCount: 20) ?? Data())
            return header.count == 20 && header[18] == 2 && header[19] == 2
        }

        func prepared() throws -> CLIRunner {
            let cli = try CLIRunner()
            #expect(try cli.run(["policy", "apply", try cli.write("policy.yaml", Fixtures.examplePolicyYAML)]).status == 0)
            #expect(try cli.run(["import", "members", try cli.write("first.jsonl", Self.members(0..<1000))]).status == 0)
            return cli
        }

        @Test func killedBeforeItsCommitAnImportLeavesTheStoreAsItWas() throws {
            let cli = try prepared()
            let before = try Self.state(cli)
            let size = try FileManager.default.attributesOfItem(atPath: cli.db)[.size] as? Int ?? 0
            // 20,000 new members and 1,000 changed ones: the file grows and pages it had change.
            let file = try cli.write("more.jsonl", Self.members(1000..<21_000) + Self.members(0..<1000, country: "FR"))
            let killed = try cli.run(["import", "members", file], environment: ["CONSENTRY_FAILPOINT": "bulk-write-before-commit"])
            #expect(killed.status == SIGKILL, "the import should die before its commit: \(killed.stdout) \(killed.stderr)")
            #expect(FileManager.default.fileExists(atPath: cli.db + "-journal"), "no hot journal: the import did not write through one")
            #expect(try FileManager.default.attributesOfItem(atPath: cli.db)[.size] as? Int ?? 0 > size,
                    "the file did not grow: the killed import wrote nothing into it, and its rollback is not tested")

            let verify = try cli.run(["audit", "verify"])
            #expect(verify.status == 0, "\(verify.stdout) \(verify.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cli.db + "-journal"))
            #expect(try Self.inWALMode(cli.db))
            let after = try Self.state(cli)
            #expect(after.members == before.members && after.log == before.log && after.country == "US")

            let again = try cli.run(["import", "members", file])
            #expect(again.status == 0, "\(again.stderr)")
            let imported = try Self.state(cli)
            #expect(imported.members == 21_000 && imported.log == before.log + 21_000 && imported.country == "FR")
            #expect(try cli.run(["audit", "verify"]).status == 0)
            #expect(try Self.inWALMode(cli.db))
        }

        @Test func killedAtRandomMomentsAnImportIsAllOrNothing() throws {
            let cli = try prepared()
            let before = try Self.state(cli)
            let file = try cli.write("more.jsonl", Self.members(1000..<31_000))
            var generator = SystemRandomNumberGenerator()
            var kills = 0
            var imports = 0
            for round in 0..<6 {
                let run = try cli.runKilled(["import", "members", file], after: UInt32.random(in: 1_000...(250_000 * UInt32(round + 1)), using: &generator))
                if run.killed { kills += 1 }
                let verify = try cli.run(["audit", "verify"])
                #expect(verify.status == 0, "after round \(round): \(verify.stdout) \(verify.stderr)")
                // Each import of the file that committed (even if killed just after) logged
                // 30,000 entries; a killed one none.
                let state = try Self.state(cli)
                let committed = (state.log - before.log) / 30_000
                #expect((state.log - before.log) % 30_000 == 0 && (committed == imports || committed == imports + 1),
                        "after round \(round): \(state.log - before.log) entries logged, \(imports) imports committed before")
                imports = committed
                #expect(state.members == (committed == 0 ? before.members : 31_000), "after round \(round)")
                #expect(try Self.inWALMode(cli.db))
            }
            #expect(kills > 0, "no import was interrupted; the rounds prove nothing")
        }
    }
}
