import ConsentCore
import ConsentPostgres
import ConsentTesting
import Foundation
import Testing

extension CLISuite {
    /// The command line on PostgreSQL: the same commands, the same answers as on SQLite.
    @Suite(.enabled(if: ProcessInfo.processInfo.environment["CONSENTRY_TEST_DATABASE_URL"] != nil,
                    "needs CONSENTRY_TEST_DATABASE_URL (scripts/test starts a cluster)"))
    struct PostgresCLITests {
        static var adminURL: String { ProcessInfo.processInfo.environment["CONSENTRY_TEST_DATABASE_URL"] ?? "" }

        /// Runs `body` with the URL of a fresh database, dropped afterwards.
        func withDatabase(_ body: (String) throws -> Void) async throws {
            let name = "consentry_cli_" + RandomHex.sixteen()
            let url = try await PostgresAdmin.createDatabase(name, adminURL: Self.adminURL)
            defer { Task { try? await PostgresAdmin.dropDatabase(name, adminURL: Self.adminURL) } }
            try body(url)
        }

        /// libpq's sslmode values and nothing else; a password kept off the command line; a
        /// warning whenever the connection leaves this machine unencrypted or unverified.
        @Test func theTransportIsWhatTheURLSaysOrNothing() async throws {
            let cli = try CLIRunner()
            try await withDatabase { url in
                let policy = try cli.write("policy.yaml", Fixtures.examplePolicyYAML)
                #expect(try cli.run(["policy", "apply", policy, "--database-url", url], withDB: false).status == 0)
                // A typo is an error, never plain text.
                let typo = try cli.run(["stats", "--database-url", url + "?sslmode=requier"], withDB: false)
                #expect(typo.status != 0 && typo.stderr.contains("sslmode=requier is not one of disable, prefer, require, verify-ca, verify-full"),
                        "\(typo.stderr)")
                // The test server speaks no TLS: TLS required is refused, TLS preferred falls back.
                for mode in ["require", "verify-ca", "verify-full"] {
                    let refused = try cli.run(["stats", "--database-url", url + "?sslmode=\(mode)"], withDB: false)
                    #expect(refused.status != 0, "sslmode=\(mode) connected without TLS: \(refused.stdout)")
                }
                #expect(try cli.run(["stats", "--database-url", url + "?sslmode=prefer"], withDB: false).status == 0)
                // The password in PGPASSWORD, not in the URL on the command line (the server trusts
                // loopback, so any password passes; what matters is who sees it).
                let withPassword = url.replacingOccurrences(of: "postgres://postgres@", with: "postgres://postgres:hunter2hunter2@")
                #expect(withPassword != url)
                let visible = try cli.run(["stats", "--database-url", withPassword], withDB: false)
                #expect(visible.status == 0 && visible.stderr.contains("process list"), "\(visible.stderr)")
                #expect(!visible.stderr.contains("hunter2") && !visible.stdout.contains("hunter2"))
                let hidden = try cli.run(["stats", "--database-url", url], withDB: false, environment: ["PGPASSWORD": "hunter2hunter2"])
                #expect(hidden.status == 0 && !hidden.stderr.contains("process list"), "\(hidden.stderr)")
            }
            #expect(PostgresConsentStore.transportWarning(url: "postgres://u@db.internal/consentry")?.contains("may not be encrypted") == true)
            #expect(PostgresConsentStore.transportWarning(url: "postgres://u@db.internal/consentry?sslmode=require")?.contains("not checked") == true)
            #expect(PostgresConsentStore.transportWarning(url: "postgres://u@db.internal/consentry?sslmode=verify-full") == nil)
            #expect(PostgresConsentStore.transportWarning(url: "postgres://u@127.0.0.1/consentry") == nil)
        }

        @Test func theWholeProductAnswersAsOnSQLite() async throws {
            let cli = try CLIRunner()
            let population = SyntheticPopulation(count: 400)
            try await withDatabase { url in
                let generated = try cli.run(["generate", "--members", "400", "--out", cli.path("gen")], withDB: false)
                #expect(generated.status == 0, "\(generated.stderr)")
                let policy = try cli.write("policy.yaml", Fixtures.examplePolicyYAML)
                let sqlite = ["--db", cli.db], postgres = ["--database-url", url]
                for store in [sqlite, postgres] {
                    for arguments in [["policy", "apply", policy], ["import", "members", cli.path("gen/members.jsonl")],
                                      ["import", "consents", cli.path("gen/consents.jsonl")]] {
                        let result = try cli.run(arguments + store, withDB: false)
                        #expect(result.status == 0, "\(arguments) \(result.stderr)")
                    }
                }
                let member = population.id(7).rawValue
                for arguments in [["decide", "--as-of", "2026-06-01"], ["exclusions", "--as-of", "2026-06-01"], ["stats", "--as-of", "2026-06-01"],
                                  ["decide", "--member", member, "--as-of", "2026-06-01"]] {
                    let onSQLite = try cli.run(arguments + sqlite, withDB: false)
                    let onPostgres = try cli.run(arguments + postgres, withDB: false)
                    #expect(onSQLite.status == 0 && onPostgres.status == 0, "\(onPostgres.stderr)")
                    #expect(onSQLite.stdout == onPostgres.stdout, "\(arguments): the stores disagree")
                    #expect(!onSQLite.stdout.isEmpty)
                }

                // An objection, an export, a purge: lineage and completion on PostgreSQL.
                let filed = try cli.run(["objections", "file", "--member", member] + postgres, withDB: false)
                let id = filed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(filed.status == 0 && id.hasPrefix("obj_"), "\(filed.stderr)")
                let export = try cli.run(["export", "--out", cli.path("export"), "--name", "pg"] + postgres, withDB: false)
                #expect(export.status == 0, "\(export.stderr)")
                let decided = try cli.run(["objections", "decide", id, "--uphold", "--reason", "Upheld."] + postgres, withDB: false)
                #expect(decided.status == 0, "\(decided.stderr)")
                let purge = try cli.run(["purge", "--all"] + postgres, withDB: false)
                #expect(purge.status == 0, "\(purge.stderr)")
                let completed = try cli.run(["objections", "list", "--status", "completed"] + postgres, withDB: false)
                #expect(completed.stdout.contains(id))
                let verified = try cli.run(["datasets", "verify"] + postgres, withDB: false)
                #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
                let audit = try cli.run(["audit", "verify"] + postgres, withDB: false)
                #expect(audit.status == 0 && audit.stdout.contains("audit chain ok"), "\(audit.stderr)")
            }
        }

        @Test func anUnreachableServerFailsFastWithoutShowingThePassword() throws {
            let cli = try CLIRunner()
            let started = Date()
            let result = try cli.run(["decide", "--database-url", "postgres://consentry:s3cret-pw@127.0.0.1:9/consentry"], withDB: false)
            #expect(result.status == 1)
            #expect(result.stderr.contains("PostgreSQL at 127.0.0.1:9/consentry"), "\(result.stderr)")
            #expect(!result.stderr.contains("s3cret-pw") && !result.stdout.contains("s3cret-pw"))
            #expect(Date().timeIntervalSince(started) < 30, "fails within the connect timeout, not after a minute of retries")
        }

        @Test func aURLThatIsNotPostgresIsABadArgument() throws {
            let cli = try CLIRunner()
            let both = try cli.run(["decide", "--db", cli.db, "--database-url", "postgres://x@127.0.0.1/db"], withDB: false)
            #expect(both.status == 64 && both.stderr.contains("--db or --database-url, not both"))
            let wrong = try cli.run(["decide", "--database-url", "mysql://x@127.0.0.1/db"], withDB: false)
            #expect(wrong.status == 1 && wrong.stderr.contains("postgres://user:password@host:5432/database"), "\(wrong.stderr)")
        }
    }
}

extension CLISuite.PostgresCLITests {
    @Test func migrateStoreCopiesEverythingVerbatimAndRefusesAFullTarget() async throws {
        let cli = try CLIRunner()
        try await withDatabase { url in
            // A SQLite store with every kind of record: choices, objections, a dataset, a model, a purge.
            #expect(try cli.run(["generate", "--members", "300", "--out", cli.path("gen")], withDB: false).status == 0)
            for arguments in [["policy", "apply", try cli.write("policy.yaml", Fixtures.examplePolicyYAML)],
                              ["import", "members", cli.path("gen/members.jsonl")], ["import", "consents", cli.path("gen/consents.jsonl")],
                              ["export", "--out", cli.path("export"), "--name", "before"]] {
                let result = try cli.run(arguments)
                #expect(result.status == 0, "\(arguments) \(result.stderr)")
            }
            let datasets = try cli.run(["datasets", "list", "--ids"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try cli.run(["models", "register", "m1", "--datasets", datasets]).status == 0)
            let member = SyntheticPopulation(count: 300).id(5).rawValue
            let filed = try cli.run(["objections", "file", "--member", member, "--email", "m@example.com"])
            let id = filed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try cli.run(["objections", "decide", id, "--uphold", "--reason", "Upheld."]).status == 0)
            #expect(try cli.run(["purge", "--all"]).status == 0)

            let migrated = try cli.run(["migrate-store", "--from", "sqlite:" + cli.db, "--to", url], withDB: false)
            #expect(migrated.status == 0, "\(migrated.stderr)")
            #expect(migrated.stdout.contains("counts match table by table") && migrated.stdout.contains("audit chain ok"))

            // The same answers from both stores.
            for arguments in [["decide"], ["lineage", "--member", member], ["models", "list", "--json"], ["objections", "list"],
                              ["datasets", "list", "--json"], ["audit", "verify"], ["outbox", "list"]] {
                let sqlite = try cli.run(arguments)
                let postgres = try cli.run(arguments + ["--database-url", url], withDB: false)
                #expect(sqlite.status == 0 && postgres.status == 0, "\(arguments): \(postgres.stderr)")
                #expect(sqlite.stdout == postgres.stdout, "\(arguments) differs after the copy")
            }
            // The target goes on from where the source stopped: new keys, new chain entries.
            #expect(try cli.run(["set", "--member", member, "--choice", "off", "--database-url", url], withDB: false).status == 0)
            let verified = try cli.run(["audit", "verify", "--database-url", url], withDB: false)
            #expect(verified.status == 0, "\(verified.stderr)")

            // A target that holds anything is refused, and left as it was.
            let again = try cli.run(["migrate-store", "--from", "sqlite:" + cli.db, "--to", url], withDB: false)
            #expect(again.status == 1 && again.stderr.contains("not empty"))
            #expect(try cli.run(["audit", "verify", "--database-url", url], withDB: false).stdout == verified.stdout)
        }
    }
}
