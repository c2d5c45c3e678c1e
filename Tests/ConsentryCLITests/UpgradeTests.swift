import ConsentCore
import ConsentPostgres
import ConsentTesting
import Foundation
import Testing

extension CLISuite {
    /// Stores made by the release of 2026-11-30 (`Tests/Fixtures/store-2026-11-30`, each the README
    /// walkthrough run by that binary) upgrade in place with `consentry migrate`, and afterwards
    /// answer every question exactly as that release did: the same decisions, objections, datasets,
    /// lineage, audit chain and log, byte for byte.
    struct UpgradeTests {
        static let fixtures = LegacyStores.folder

        /// The commands of `expected.txt` and what the old release printed for each.
        static func expectations(_ kind: String) throws -> [(arguments: [String], output: String)] {
            let text = try String(contentsOf: fixtures.appendingPathComponent("\(kind)/expected.txt"), encoding: .utf8)
            var sections: [(arguments: [String], output: String)] = []
            var arguments: [String]?
            var output = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("## consentry ") {
                    arguments = line.dropFirst("## consentry ".count).split(separator: " ").map(String.init)
                    output = ""
                } else if line.hasPrefix("## exit "), let command = arguments {
                    #expect(line == "## exit 0", "the old release failed \(command)")
                    sections.append((command, output))
                    arguments = nil
                } else if arguments != nil {
                    output += line + "\n"
                }
            }
            return sections
        }

        /// Today's output without what was added since that release on purpose: the data
        /// categories each dataset took, in `datasets lineage` (for members' "where my data is"),
        /// and the language each objection is written to in (`en` for every older one).
        static func asBefore(_ output: String) -> String {
            output.replacingOccurrences(of: #""categories":\[[^\]]*\],"#, with: "", options: .regularExpression)
                .replacingOccurrences(of: #""language":"en","#, with: "")
        }

        /// The legacy binary's command line as it is spelled now (`lineage` moved under `datasets`):
        /// the new spelling must answer as the old one did.
        static func spelledNow(_ arguments: [String]) -> [String] {
            let moved = ["set": ["member", "set"], "filter": ["datasets", "filter"], "export": ["datasets", "export"],
                         "snapshot": ["datasets", "snapshot"], "purge": ["datasets", "purge"], "lineage": ["datasets", "lineage"],
                         "outbox": ["objections", "outbox"], "receipt": ["log", "receipt"]]
            guard let first = arguments.first, let now = moved[first] else { return arguments }
            return now + arguments.dropFirst()
        }

        @Test func aSQLiteFileOfTheLastReleaseUpgradesAndAnswersAsItDid() throws {
            let cli = try CLIRunner()
            try FileManager.default.copyItem(atPath: LegacyStores.sqliteFile, toPath: cli.db)
            let migrated = try cli.run(["migrate"])
            #expect(migrated.status == 0 && migrated.stdout.contains("applied migrations 5, 6"), "\(migrated.stdout)\(migrated.stderr)")
            #expect(try cli.run(["migrate"]).stdout.contains("the schema is up to date"))
            let expectations = try Self.expectations("sqlite")
            #expect(expectations.count == 11)
            for (arguments, output) in expectations {
                let result = try cli.run(Self.spelledNow(arguments))
                #expect(result.status == 0 && Self.asBefore(result.stdout + result.stderr) == output, "consentry \(arguments.joined(separator: " "))")
            }
        }

        @Test(.enabled(if: ProcessInfo.processInfo.environment["CONSENTRY_TEST_DATABASE_URL"] != nil,
                       "needs CONSENTRY_TEST_DATABASE_URL (scripts/test starts a cluster)"))
        func aPostgreSQLDatabaseOfTheLastReleaseUpgradesAndAnswersAsItDid() async throws {
            let admin = ProcessInfo.processInfo.environment["CONSENTRY_TEST_DATABASE_URL"] ?? ""
            let name = "consentry_upgrade_" + RandomHex.sixteen()
            let url = try await PostgresAdmin.createDatabase(name, adminURL: admin)
            defer { Task { try? await PostgresAdmin.dropDatabase(name, adminURL: admin) } }
            try LegacyStores.loadPostgresDump(into: url)

            let cli = try CLIRunner()
            let migrated = try cli.run(["migrate", "--database-url", url], withDB: false)
            #expect(migrated.status == 0 && migrated.stdout.contains("applied migrations 5, 6"), "\(migrated.stdout)\(migrated.stderr)")
            let expectations = try Self.expectations("postgres")
            #expect(expectations.count == 11)
            for (arguments, output) in expectations {
                let result = try cli.run(Self.spelledNow(arguments) + ["--database-url", url], withDB: false)
                #expect(result.status == 0 && Self.asBefore(result.stdout + result.stderr) == output, "consentry \(arguments.joined(separator: " "))")
            }
            let again = try cli.run(["migrate", "--database-url", url], withDB: false)
            #expect(again.stdout.contains("the schema is up to date"), "\(again.stdout)")
        }
    }
}
