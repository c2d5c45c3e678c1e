import ConsentCore
import ConsentPostgres
import ConsentTesting
import Foundation
import Testing

extension CLISuite {
    /// Answers about the past never change when today's facts change: a second policy and a
    /// re-import leave `decide --as-of` and `stats --as-of` byte for byte as they were; only a
    /// correction of the past changes them, and `--as-known-at` still reproduces what was said
    /// before it. On SQLite, and on PostgreSQL when a server is available.
    struct HistoryCLITests {
        static let asOf = "2026-06-01"

        /// A second policy: other regions, another minimum age.
        static let secondPolicy = Fixtures.examplePolicyYAML
            .replacingOccurrences(of: #"version: "2025-11-03""#, with: #"version: "2026-12""#)
            .replacingOccurrences(of: "minimum_age: 18", with: "minimum_age: 21")
            .replacingOccurrences(of: "  - { id: us, countries: [US], effective: 2024-09-18, default: included }\n", with: "")

        /// Lines of `members.jsonl` rewritten: the first `count` members get `country` and `born`,
        /// and `extra` fields.
        static func rewritten(_ members: String, count: Int, country: String, born: String, extra: String = "") -> String {
            members.split(separator: "\n").prefix(count).map { line -> String in
                var text = String(line)
                text = text.replacingOccurrences(of: #""country":"[A-Z][A-Z]""#, with: #""country":"\#(country)""#, options: .regularExpression)
                text = text.replacingOccurrences(of: #""birth_date":("[0-9-]+"|null)"#, with: #""birth_date":"\#(born)""#, options: .regularExpression)
                return extra.isEmpty ? text : String(text.dropLast()) + "," + extra + "}"
            }.joined(separator: "\n") + "\n"
        }

        func answersAboutThePastStay(_ cli: CLIRunner, store: [String]) throws {
            func run(_ arguments: [String]) throws -> String {
                let result = try cli.run(arguments + store, withDB: false)
                #expect(result.status == 0, "consentry \(arguments.joined(separator: " ")): \(result.stderr)")
                return result.stdout
            }
            let generated = try cli.run(["generate", "--members", "400", "--out", cli.path("gen")], withDB: false)
            #expect(generated.status == 0, "\(generated.stderr)")
            _ = try run(["policy", "apply", try cli.write("policy.yaml", Fixtures.examplePolicyYAML)])
            _ = try run(["import", "members", cli.path("gen/members.jsonl")])
            _ = try run(["import", "consents", cli.path("gen/consents.jsonl")])
            let decided = try run(["decide", "--as-of", Self.asOf])
            let stats = try run(["stats", "--as-of", Self.asOf])
            #expect(decided.split(separator: "\n").count == 400)

            // Today's facts change: a new policy, and members who moved and whose birth dates were fixed from now on.
            _ = try run(["policy", "apply", try cli.write("second.yaml", Self.secondPolicy)])
            let members = try String(contentsOfFile: cli.path("gen/members.jsonl"), encoding: .utf8)
            _ = try run(["import", "members", try cli.write("moved.jsonl", Self.rewritten(members, count: 60, country: "HK", born: "2012-02-02"))])
            #expect(try run(["decide", "--as-of", Self.asOf]) == decided, "a later policy or re-import changes no past answer")
            #expect(try run(["stats", "--as-of", Self.asOf]) == stats)
            #expect(try run(["decide"]) != decided, "the answers now do change")

            // A correction of the past: these members' birth dates were always 2015-01-01.
            Thread.sleep(forTimeInterval: 0.01)
            let known = Timestamp.format(Date())
            Thread.sleep(forTimeInterval: 0.01)
            _ = try run(["import", "members", try cli.write("fix.jsonl", Self.rewritten(
                members, count: 20, country: "HK", born: "2015-01-01", extra: #""valid_from":"2020-01-01""#))])
            let corrected = try run(["decide", "--as-of", Self.asOf])
            let changed = zip(decided.split(separator: "\n"), corrected.split(separator: "\n")).filter { $0 != $1 }
            #expect(!changed.isEmpty && changed.allSatisfy { $0.1.contains(#""reason":"minor""#) },
                    "a correction changes the past answers of the corrected members: \(changed.prefix(3))")
            #expect(changed.count <= 20)
            #expect(try run(["decide", "--as-of", Self.asOf, "--as-known-at", known]) == decided, "as known before the correction")
            #expect(try run(["stats", "--as-of", Self.asOf, "--as-known-at", known]) == stats)

            let first = String(try #require(members.split(separator: "\n").first))
            let corrector = try #require(first.range(of: #""id":"[^"]+""#, options: .regularExpression).map { first[$0].dropFirst(6).dropLast() })
            let history = try run(["member", "history", String(corrector)]).split(separator: "\n")
            #expect(history.count == 3 && history[0].contains(#""valid_from":null"#) && history[2].contains(#""valid_from":"2020-01-01T00:00:00Z""#)
                    && history[2].contains(#""birth_date":"2015-01-01""#), "\(history)")
        }

        @Test func onSQLite() throws {
            let cli = try CLIRunner()
            try answersAboutThePastStay(cli, store: ["--db", cli.db])
        }

        @Test(.enabled(if: ProcessInfo.processInfo.environment["CONSENTRY_TEST_DATABASE_URL"] != nil,
                       "needs CONSENTRY_TEST_DATABASE_URL (scripts/test starts a cluster)"))
        func onPostgreSQL() async throws {
            let admin = ProcessInfo.processInfo.environment["CONSENTRY_TEST_DATABASE_URL"] ?? ""
            let name = "consentry_history_" + RandomHex.sixteen()
            let url = try await PostgresAdmin.createDatabase(name, adminURL: admin)
            defer { Task { try? await PostgresAdmin.dropDatabase(name, adminURL: admin) } }
            try answersAboutThePastStay(try CLIRunner(), store: ["--database-url", url])
        }
    }
}
