import ConsentCore
import ConsentFormats
import ConsentServer
import ConsentTesting
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GRDB
import Testing

extension CLISuite {
    /// The command-line tool end to end: the built binary, a real SQLite file, real files.
    struct CLITests {
        let members = """
            {"id": "urn:li:member:1", "birth_date": "1990-05-17", "country": "DE", "data": {"account.name": "Ana"}}
            {"id": "urn:li:member:2", "birth_date": "2010-01-01", "country": "DE"}
            {"id": "urn:li:member:3", "birth_date": "1985-02-01", "country": "CA"}
            {"id": "urn:li:member:4", "birth_date": "1985-02-01", "country": "BR"}
            {"id": "urn:li:member:5", "country": "US"}
            {"id": "urn:li:member:6", "birth_date": "1970-07-07", "country": "US", "notified_at": null}

            """
        let consents = """
            {"member": "urn:li:member:1", "choice": "off", "at": "2025-10-01T12:00:00Z", "channel": "web"}
            {"member": "urn:li:member:3", "choice": "on", "at": "2025-11-05T08:00:00Z", "channel": "android"}
            {"member": "urn:li:member:6", "choice": "off", "at": "2025-11-06T08:00:00Z", "channel": "gpc"}
            """

        func seeded() throws -> CLIRunner {
            let cli = try CLIRunner()
            let policy = try cli.write("policy.yaml", Fixtures.examplePolicyYAML)
            #expect(try cli.run(["policy", "apply", policy]).status == 0)
            let imported = try cli.run(["import", "members", try cli.write("members.jsonl", members)])
            #expect(imported.status == 0 && imported.stdout.contains("imported 6 members"), "\(imported.stderr)")
            #expect(try cli.run(["import", "consents", try cli.write("consents.jsonl", consents)]).status == 0)
            return cli
        }

        @Test func decideExplainsEveryMemberSortedById() throws {
            let cli = try seeded()
            let result = try cli.run(["decide", "--as-of", "2026-01-01"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.lines == [
                #"{"member":"urn:li:member:1","eligible":false,"reason":"opted_out","region":"europe"}"#,
                #"{"member":"urn:li:member:2","eligible":false,"reason":"minor","region":"europe"}"#,
                #"{"member":"urn:li:member:3","eligible":true,"reason":"opted_in","region":"canada-hong-kong"}"#,
                #"{"member":"urn:li:member:4","eligible":false,"reason":"region_not_in_scope","region":null}"#,
                #"{"member":"urn:li:member:5","eligible":false,"reason":"age_unknown","region":"us"}"#,
                #"{"member":"urn:li:member:6","eligible":false,"reason":"global_privacy_control","region":"us"}"#,
            ])
            let one = try cli.run(["decide", "--member", "urn:li:member:3", "--member", "urn:li:member:nobody", "--as-of", "2025-11-04"])
            #expect(one.lines == [
                #"{"member":"urn:li:member:3","eligible":false,"reason":"awaiting_consent","region":"canada-hong-kong"}"#,
                #"{"member":"urn:li:member:nobody","eligible":false,"reason":"member_unknown","region":null}"#,
            ])
        }

        @Test func exclusionsAndStatsAgreeWithDecide() throws {
            let cli = try seeded()
            #expect(try cli.run(["exclusions", "--as-of", "2026-01-01"]).lines
                    == ["urn:li:member:1", "urn:li:member:2", "urn:li:member:4", "urn:li:member:5", "urn:li:member:6"])
            let stats = try cli.run(["stats", "--as-of", "2026-01-01"])
            guard case .object(let fields)? = try? JSONParser.parse(stats.stdout.trimmingCharacters(in: .newlines)) else {
                Issue.record("stats is not a JSON object: \(stats.stdout)")
                return
            }
            let values = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0.value) })
            #expect(values["members"] == .number("6") && values["eligible"] == .number("1") && values["excluded"] == .number("5"))
            guard case .object(let byReason)? = values["by_reason"], case .object(let byRegion)? = values["by_region"] else {
                Issue.record("no counts")
                return
            }
            #expect(byReason.first { $0.key == "minor" }?.value == .number("1"))
            #expect(byReason.first { $0.key == "included_by_default" }?.value == .number("0"))
            #expect(byRegion.first { $0.key == "out_of_scope" }?.value == .number("1"))
            #expect(byRegion.first { $0.key == "us" }?.value == .number("2"))
        }

        @Test func setAppendsAChoiceThatChangesTheDecision() throws {
            let cli = try seeded()
            let set = try cli.run(["set", "--member", "urn:li:member:1", "--choice", "on", "--channel", "ios", "--at", "2025-12-01T09:00:00Z"])
            #expect(set.status == 0 && set.stdout.contains(#""choice":"on""#), "\(set.stderr)")
            #expect(try cli.run(["decide", "--member", "urn:li:member:1", "--as-of", "2026-01-01"]).stdout.contains("opted_in"))
            #expect(try cli.run(["decide", "--member", "urn:li:member:1", "--as-of", "2025-11-30"]).stdout.contains("opted_out"))
            let gpcOn = try cli.run(["set", "--member", "urn:li:member:1", "--choice", "on", "--channel", "gpc"])
            #expect(gpcOn.status != 0 && gpcOn.stderr.contains("can only opt out"))
            let unknown = try cli.run(["set", "--member", "urn:li:member:99", "--choice", "off"])
            #expect(unknown.status == 1 && unknown.stderr.contains("unknown member \"urn:li:member:99\""))
        }

        @Test func anInvalidPolicyIsExplainedAndChangesNothing() throws {
            let cli = try seeded()
            let bad = try cli.write("bad.yaml", Fixtures.examplePolicyYAML
                .replacingOccurrences(of: "[AT, BE, BG, HR, CY", with: "[AT, BE, BG, HR, XX")
                .replacingOccurrences(of: "minimum_age: 18", with: "minimum_age: 16"))
            let result = try cli.run(["policy", "apply", bad])
            #expect(result.status == 1)
            #expect(result.stderr.contains("\(bad):16: regions[1].countries[4]: \"XX\" is not an ISO 3166-1 alpha-2 code"), "\(result.stderr)")
            let shown = try cli.run(["policy", "show"])
            #expect(shown.stdout.contains("minimum_age: 18") && shown.stdout.contains("version: \"2025-11-03\""))
        }

        @Test func policyShowPrintsAFileThatAppliesAgainUnchanged() throws {
            let cli = try seeded()
            let shown = try cli.run(["policy", "show"])
            let again = try cli.run(["policy", "apply", try cli.write("shown.yaml", shown.stdout)])
            #expect(again.status == 0, "\(again.stderr)")
            let sha = shown.lines.first { $0.hasPrefix("# sha256: ") }?.dropFirst(10) ?? ""
            #expect(!sha.isEmpty && again.stdout.contains(String(sha)))
            let changed = try cli.run(["policy", "apply", try cli.write("changed.yaml", shown.stdout.replacingOccurrences(of: "notice_days: 0", with: "notice_days: 7"))])
            #expect(changed.status == 1 && changed.stderr.contains("already exists with different content"))
        }

        @Test func aBadImportLineAbortsEverythingUnlessSkipped() throws {
            let cli = try seeded()
            let file = try cli.write("more.jsonl", """
                {"id": "urn:li:member:10", "country": "FR", "birth_date": "1999-01-01"}
                {"id": "urn:li:member:11", "country": "FR", "birth_date": "1999-01-01"}
                {"id": "urn:li:member:12", "country": "ZZ"}
                {"id": "urn:li:member:13", "country": "FR", "birth_date": "1999-01-01", "nickname": "x"}
                """)
            let aborted = try cli.run(["import", "members", file])
            #expect(aborted.status == 1)
            #expect(aborted.stderr.contains("\(file):3: country: \"ZZ\" is not an ISO 3166-1 alpha-2 code"), "\(aborted.stderr)")
            #expect(try cli.run(["decide", "--member", "urn:li:member:10"]).stdout.contains("member_unknown"))
            let skipped = try cli.run(["import", "members", file, "--skip-invalid"])
            #expect(skipped.status == 0 && skipped.stdout.contains("imported 2 members") && skipped.stdout.contains("2 skipped"))
            #expect(skipped.stderr.contains("\(file):3: country") && skipped.stderr.contains("\(file):4: nickname: unknown field"))
            #expect(try cli.run(["decide", "--member", "urn:li:member:10", "--as-of", "2026-01-01"]).stdout.contains("included_by_default"))
        }

        @Test func aConsentForAnUnknownMemberNamesItsLine() throws {
            let cli = try seeded()
            let file = try cli.write("c2.jsonl", """
                {"member": "urn:li:member:2", "choice": "on", "at": "2025-12-01T00:00:00Z"}
                {"member": "urn:li:member:404", "choice": "off", "at": "2025-12-01T00:00:00Z"}
                """)
            let result = try cli.run(["import", "consents", file])
            #expect(result.status == 1 && result.stderr.contains("\(file):2: member: \"urn:li:member:404\" is not a known member"))
            let verify = try cli.run(["audit", "export"])
            #expect(!verify.stdout.contains(#""subject":"urn:li:member:2","details":{"at""#), "nothing of the aborted import was audited")
        }

        @Test func importsReadStandardInput() throws {
            let cli = try seeded()
            let result = try cli.run(["import", "consents", "-"], stdin: #"{"member": "urn:li:member:5", "choice": "off", "at": "2025-12-01"}"# + "\n")
            #expect(result.status == 0 && result.stdout.contains("imported 1 choices"), "\(result.stderr)")
        }

        @Test func objectionsGoThroughTheirLifecycle() throws {
            let cli = try seeded()
            let filed = try cli.run(["objections", "file", "--member", "urn:li:member:3", "--at", "2025-12-01T00:00:00Z", "--reason", "Please stop"])
            #expect(filed.status == 0, "\(filed.stderr)")
            let id = filed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(id.hasPrefix("obj_") && filed.lines.count == 1, "only the id is printed: \(filed.stdout)")
            #expect(try cli.run(["decide", "--member", "urn:li:member:3", "--as-of", "2025-12-02"]).stdout.contains("objection_pending"))
            #expect(try cli.run(["decide", "--member", "urn:li:member:3", "--as-of", "2025-11-30"]).stdout.contains("opted_in"))

            let tooFar = try cli.run(["objections", "extend", id, "--months", "3", "--reason", "Locating archived copies", "--at", "2025-12-10"])
            #expect(tooFar.status == 1 && tooFar.stderr.contains("by more than 2 months"), "\(tooFar.stderr)")
            // Received 1 December: due 1 January, and one month more is 1 February.
            let extended = try cli.run(["objections", "extend", id, "--months", "1", "--reason", "Locating archived copies", "--at", "2025-12-10"])
            #expect(extended.status == 0 && extended.stdout.contains(#""status":"extended""#) && extended.stdout.contains(#""extended_due":"2026-02-01T00:00:00Z""#))
            let twice = try cli.run(["objections", "extend", id, "--days", "5", "--reason", "more", "--at", "2025-12-11"])
            #expect(twice.status == 1 && twice.stderr.contains("only one extension is allowed"))
            let tooLong = try cli.run(["objections", "decide", id, "--reject", "--reason", " ", "--at", "2025-12-12"])
            #expect(tooLong.status == 1 && tooLong.stderr.contains("reason: a reason is required"))

            #expect(try cli.run(["objections", "list", "--status", "extended"]).lines.count == 1)
            let decided = try cli.run(["objections", "decide", id, "--uphold", "--reason", "Upheld; data will be removed", "--at", "2025-12-20"])
            // No dataset holds member 3, so nothing is left to purge: the objection is complete at once.
            #expect(decided.status == 0 && decided.stdout.contains(#""status":"completed""#) && decided.stdout.contains(#""decision":"uphold""#))
            #expect(decided.stdout.contains("No registered dataset holds this member's data."))
            #expect(try cli.run(["decide", "--member", "urn:li:member:3", "--as-of", "2026-01-01"]).stdout.contains("objection_upheld"))
            #expect(try cli.run(["objections", "list", "--status", "received"]).lines.isEmpty)
            let again = try cli.run(["objections", "decide", id, "--reject", "--reason", "changed my mind"])
            #expect(again.status == 1 && again.stderr.contains("a decision is final"))
            let unknown = try cli.run(["objections", "file", "--member", "urn:li:member:404"])
            #expect(unknown.status == 1 && unknown.stderr.contains("unknown member"))
        }

        @Test func auditVerifiesAndExportsAndCatchesTampering() throws {
            let cli = try seeded()
            let verified = try cli.run(["audit", "verify"])
            #expect(verified.status == 0 && verified.stdout.contains("audit chain ok: 10 entries"), "\(verified.stdout)\(verified.stderr)")
            let exported = try cli.run(["audit", "export"])
            #expect(exported.lines.count == 10)
            #expect(exported.lines.first?.contains(#""action":"policy_applied""#) == true)
            #expect(try cli.run(["audit", "export", "--from", "2999-01-01"]).lines.isEmpty)

            let queue = try DatabaseQueue(path: cli.db)
            try queue.write { db in
                try db.execute(sql: "DROP TRIGGER audit_log_no_update")
                try db.execute(sql: "UPDATE audit_log SET details = '{\"choice\":\"on\",\"channel\":\"web\"}' WHERE sequence = 8")
            }
            let broken = try cli.run(["audit", "verify"])
            #expect(broken.status == 1 && broken.stderr.contains("audit chain broken at entry 8"), "\(broken.stderr)")
        }

        @Test func twoProcessesWritingAtOnceLoseNothing() throws {
            let cli = try seeded()
            let group = DispatchGroup()
            let failures = SendableBox<Int>()
            failures.value = 0
            for writer in 0..<2 {
                DispatchQueue.global().async(group: group) {
                    for n in 0..<25 {
                        let result = try? cli.run(["set", "--member", "urn:li:member:\(writer + 1)", "--choice", n % 2 == 0 ? "on" : "off"])
                        if result?.status != 0 { failures.value = (failures.value ?? 0) + 1 }
                    }
                }
            }
            group.wait()
            #expect(failures.value == 0)
            #expect(try cli.run(["audit", "verify"]).stdout.contains("audit chain ok: 60 entries"))
            let store = try SQLiteConsentStoreForTests.count(cli.db)
            #expect(store == 3 + 50)
        }

        @Test func theDatabaseComesFromTheEnvironmentWhenNotGiven() throws {
            let cli = try seeded()
            let result = try cli.run(["exclusions"], withDB: false, environment: ["CONSENTRY_DB": cli.db])
            #expect(result.status == 0 && result.lines.count >= 5)
            let missing = try cli.run(["exclusions"], withDB: false, environment: ["CONSENTRY_DB": cli.path("none.sqlite")])
            #expect(missing.status == 1 && missing.stderr.contains("no database at"))
        }

        @Test func badArgumentsAreExplained() throws {
            let cli = try seeded()
            let time = try cli.run(["decide", "--as-of", "yesterday"])
            #expect(time.status == 64 && time.stderr.contains("--as-of"))
            let choice = try cli.run(["set", "--member", "urn:li:member:1", "--choice", "maybe"])
            #expect(choice.status == 64 && choice.stderr.contains("--choice"))
        }

        @Test func generatedPopulationsAreReproducibleAndImportable() throws {
            let cli = try CLIRunner()
            for directory in ["a", "b"] {
                #expect(try cli.run(["generate", "--members", "300", "--seed", "9", "--out", cli.path(directory)], withDB: false).status == 0)
            }
            let a = try String(contentsOfFile: cli.path("a/members.jsonl"), encoding: .utf8)
            #expect(a == (try String(contentsOfFile: cli.path("b/members.jsonl"), encoding: .utf8)))
            #expect(a.split(separator: "\n").count == 300)
            #expect(try cli.run(["policy", "apply", try cli.write("p.yaml", Fixtures.examplePolicyYAML)]).status == 0)
            #expect(try cli.run(["import", "members", cli.path("a/members.jsonl")]).stdout.contains("imported 300 members"))
            let consents = try cli.run(["import", "consents", cli.path("a/consents.jsonl")])
            #expect(consents.status == 0 && consents.stdout.contains("0 skipped"), "\(consents.stderr)")
        }

        @Test func theDemoSeedsOnceAndExplainsEveryone() throws {
            let cli = try CLIRunner()
            let first = try cli.run(["demo", "--members", "400", "--no-serve"])
            #expect(first.status == 0, "\(first.stderr)")
            #expect(first.stdout.contains("Creating") && first.stdout.contains("400 members:"))
            for reason in ["minor", "region_not_in_scope", "opted_out", "included_by_default"] {
                #expect(first.stdout.contains(reason))
            }
            let second = try cli.run(["demo", "--members", "400", "--no-serve"])
            #expect(second.stdout.contains("Reusing") && second.stdout.contains("400 members:"))
            #expect(try cli.run(["audit", "verify"]).status == 0)
        }

        /// The demo hands out sign-in links to anyone: it never opens a real store, even one the
        /// environment names, and nothing it signs is valid anywhere else.
        @Test func theDemoKeepsApartFromRealData() async throws {
            let cli = try CLIRunner()
            let real = cli.path("real.sqlite")
            #expect(try cli.run(["policy", "apply", try cli.write("p.yaml", Fixtures.examplePolicyYAML), "--db", real], withDB: false).status == 0)
            let refused = try cli.run(["demo", "--members", "50", "--no-serve", "--db", real], withDB: false)
            #expect(refused.status != 0 && refused.stderr.contains("was not made by `consentry demo`"), "\(refused.stderr)")
            // CONSENTRY_DB (as the README's walkthrough exports it) is not the demo's file.
            let beside = try cli.run(["demo", "--members", "50", "--no-serve"], withDB: false,
                                     environment: ["CONSENTRY_DB": real, "CONSENTRY_DATABASE_URL": "postgres://nobody@127.0.0.1:1/real"])
            #expect(beside.status == 0 && FileManager.default.fileExists(atPath: cli.path("consentry-demo.sqlite")), "\(beside.stderr)")
            #expect(try cli.run(["stats"], withDB: false, environment: ["CONSENTRY_DB": real]).stdout.contains(#""members":0"#))
            // Served with the production secret in the environment: its tokens are not valid under it.
            let secret = String(repeating: "production-secret-", count: 3)
            let served = try await ServedProcess(["demo", "--members", "50", "--db", cli.path("consentry-demo.sqlite")],
                                                 environment: ProcessInfo.processInfo.environment.merging(["CONSENTRY_JWT_SECRET": secret]) { $1 })
            let (data, _) = try await URLSession.shared.data(from: URL(string: served.baseURL + "/login")!)
            let page = String(decoding: data, as: UTF8.self)
            let token = try #require(page.components(separatedBy: #"name="token" value=""#).dropFirst().first.map { String($0.prefix { $0 != "\"" }) })
            let production = try await IdentityVerifier.sharedSecret(secret, issuer: "consentry-dev")
            await #expect(throws: IdentityError.self) { _ = try await production.verify(token) }
        }
    }

    enum SQLiteConsentStoreForTests {
        static func count(_ path: String) throws -> Int {
            try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM consent_events") ?? 0 }
        }
    }
}
