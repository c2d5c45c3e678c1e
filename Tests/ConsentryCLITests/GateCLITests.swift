import ConsentCore
import ConsentTesting
import Foundation
import Testing

extension CLISuite {
    /// `consentry filter` and `consentry snapshot` end to end: the built binary, a real store, real files.
    struct GateCLITests {
        let posts = """
            {"member_id": "urn:li:member:1", "text": "opted out on the web", "created_at": "2025-12-01T00:00:00Z"}
            {"member_id": "urn:li:member:3", "text": "opted in", "created_at": "2025-12-02T00:00:00Z"}
            {"text": "say \\"member_id\\": \\"urn:li:member:3\\""}
            {"member_id": "urn:li:member:6", "text": "GPC"}
            {"member_id": "urn:li:member:3", "created_at": "2027-01-01T00:00:00Z"}
            not json
            {"member_id": "urn:li:member:42"}

            """

        @Test func filterReadsStandardInputAndWritesStandardOutputWithAReport() throws {
            let cli = try CLITests().seeded()
            let report = cli.path("report.json")
            let result = try cli.run(["filter", "-", "--category", "content.posts", "--as-of", "2026-01-01", "--time-field", "created_at", "--out", "-",
                                      "--report", report], stdin: posts)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.lines == [#"{"member_id": "urn:li:member:3", "text": "opted in", "created_at": "2025-12-02T00:00:00Z"}"#])
            #expect(result.stderr.contains("filter: 7 records, kept 1, dropped 6"))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
            let dropped = try #require(json["dropped"] as? [String: Int])
            #expect(dropped["opted_out"] == 1 && dropped["global_privacy_control"] == 1 && dropped["missing_member"] == 1
                    && dropped["after_as_of"] == 1 && dropped["malformed"] == 1 && dropped["member_unknown"] == 1)
            #expect(json["kept"] as? Int == 1 && json["records"] as? Int == 7 && json["policy_version"] as? String != nil)
            let output = try #require(json["output"] as? [String: Any])
            #expect((output["sha256"] as? String)?.count == 64)
            #expect(json["as_of"] as? String == "2026-01-01T00:00:00Z")
        }

        /// Outputs in shared directories: no writing into a pipe someone planted, no directory
        /// others can change, no planted partial file or symlink followed, and a finished
        /// file readable by its owner and group only.
        @Test func outputsAreWrittenOnlyWhereNobodyElseCanReachThem() throws {
            let cli = try CLITests().seeded()
            let input = try cli.write("posts.jsonl", posts)
            let arguments = ["filter", input, "--category", "content.posts", "--as-of", "2026-01-01", "--time-field", "created_at"]
            // A FIFO at the output path (planted by someone waiting to read): refused.
            let fifo = cli.path("kept.jsonl")
            #expect(mkfifo(fifo, 0o666) == 0)
            let intoFIFO = try cli.run(arguments + ["--out", fifo])
            #expect(intoFIFO.status != 0 && intoFIFO.stderr.contains("pipe, socket or device"), "\(intoFIFO.stderr)")
            unlink(fifo)
            // A directory anyone can write into, without the sticky bit: refused.
            let open = cli.path("open")
            try FileManager.default.createDirectory(atPath: open, withIntermediateDirectories: false)
            #expect(chmod(open, 0o777) == 0)
            let intoOpen = try cli.run(arguments + ["--out", open + "/kept.jsonl"])
            #expect(intoOpen.status != 0 && intoOpen.stderr.contains("writable by other users and not sticky"), "\(intoOpen.stderr)")
            #expect(chmod(open, 0o1777) == 0)
            #expect(try cli.run(arguments + ["--out", open + "/kept.jsonl"]).status == 0, "a sticky directory, as /tmp, is fine")
            // A symlink at the output path: replaced by the output, its target untouched.
            let victim = try cli.write("victim.txt", "precious\n")
            let link = cli.path("linked.jsonl")
            #expect(symlink(victim, link) == 0)
            let throughLink = try cli.run(arguments + ["--out", link])
            #expect(throughLink.status == 0, "\(throughLink.stderr)")
            #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
            var status = stat()
            #expect(lstat(link, &status) == 0 && status.st_mode & S_IFMT == S_IFREG)
            #expect(status.st_mode & 0o777 == 0o640, "a finished output is not readable by everyone: \(String(status.st_mode & 0o777, radix: 8))")
            // /dev/null stays a sink.
            #expect(try cli.run(arguments + ["--out", "/dev/null"]).status == 0)
            // Export into an empty directory that is someone else's (when the tests run as root,
            // as in CI, one is made for another user).
            if geteuid() == 0 {
                let theirs = cli.path("theirs")
                try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: false)
                #expect(chown(theirs, 65534, 65534) == 0)
                let export = try cli.run(["export", "--as-of", "2026-01-01", "--out", theirs])
                #expect(export.status != 0 && export.stderr.contains("belongs to another user"), "\(export.stderr)")
            }
            let mine = cli.path("mine")
            let export = try cli.run(["export", "--as-of", "2026-01-01", "--out", mine])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(stat(mine, &status) == 0 && status.st_mode & 0o777 == 0o750)
            let shards = try FileManager.default.contentsOfDirectory(atPath: mine)
            #expect(!shards.isEmpty && shards.allSatisfy { !$0.contains(".partial-") })
            for file in shards {
                #expect(stat(mine + "/" + file, &status) == 0 && status.st_mode & 0o007 == 0, "\(file) is not readable by others")
            }
        }

        @Test func aSnapshotStandsInForTheStoreAndRefusesDamage() throws {
            let cli = try CLITests().seeded()
            let snapshot = cli.path("snapshot.tsv")
            let written = try cli.run(["snapshot", "--as-of", "2026-01-01", "--out", snapshot])
            #expect(written.status == 0 && written.stdout.contains("snapshot: 6 members"), "\(written.stderr)")
            let input = try cli.write("posts.jsonl", posts)
            let viaStore = try cli.run(["filter", input, "--category", "content.posts", "--no-record-times", "--as-of", "2026-01-01", "--out", cli.path("a.jsonl")])
            let viaSnapshot = try cli.run(["filter", input, "--category", "content.posts", "--no-record-times", "--snapshot", snapshot, "--out", cli.path("b.jsonl")], withDB: false)
            #expect(viaStore.status == 0 && viaSnapshot.status == 0, "\(viaSnapshot.stderr)")
            let a = try String(contentsOfFile: cli.path("a.jsonl"), encoding: .utf8)
            #expect(a == (try String(contentsOfFile: cli.path("b.jsonl"), encoding: .utf8)) && a.contains("urn:li:member:3"))
            var text = try String(contentsOfFile: snapshot, encoding: .utf8)
            text = text.replacingOccurrences(of: "\tfalse\topted_out", with: "\ttrue\topted_in")
            let forged = try cli.write("forged.tsv", text)
            let refused = try cli.run(["filter", input, "--category", "content.posts", "--no-record-times", "--snapshot", forged, "--out", cli.path("c.jsonl")], withDB: false)
            #expect(refused.status != 0 && refused.stderr.contains("SHA-256 does not match"), "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cli.path("c.jsonl")))
        }

        /// An exclusions list made for the gate lists the members who were minors in the window
        /// too, says so on its first line, and the filter then runs without record times.
        @Test func anExclusionsListForTheGateListsTheMinorsOfTheWindow() throws {
            let cli = try CLITests().seeded()
            let plain = try cli.run(["exclusions", "--as-of", "2026-01-01"])
            let forGate = try cli.run(["exclusions", "--as-of", "2026-01-01", "--minors-in-window"])
            #expect(plain.status == 0 && forGate.status == 0, "\(forGate.stderr)")
            #expect(forGate.lines.first == "# consentry-exclusions minors_in_window since=2020-01-01T00:00:00Z")
            #expect(Set(plain.lines).isSubset(of: Set(forGate.lines.dropFirst())), "every excluded member stays listed")
            let list = try cli.write("excluded.txt", forGate.stdout)
            let input = try cli.write("posts.jsonl", posts)
            let policy = try cli.write("policy.yaml", try cli.run(["policy", "show"]).stdout)
            let filtered = try cli.run(["filter", input, "--category", "content.posts", "--no-record-times", "--exclusions", list,
                                        "--policy", policy, "--out", "-"], withDB: false)
            #expect(filtered.status == 0, "\(filtered.stderr)")
            let unmarked = try cli.write("plain.txt", plain.stdout)
            let refused = try cli.run(["filter", input, "--category", "content.posts", "--no-record-times", "--exclusions", unmarked,
                                       "--policy", policy, "--out", "-"], withDB: false)
            #expect(refused.status == 64 && refused.stderr.contains("holds no birth dates"), "\(refused.stderr)")
            let signed = try cli.run(["exclusions", "--signed", "--minors-in-window"])
            #expect(signed.status == 64 && signed.stderr.contains("sign a snapshot"))
        }

        @Test func badUsageAndStrictModeSayWhatIsWrong() throws {
            let cli = try CLITests().seeded()
            let input = try cli.write("posts.jsonl", posts)
            let both = try cli.run(["filter", input, "--category", "content.posts", "--no-record-times", "--exclusions", input, "--snapshot", input, "--out", cli.path("x.jsonl")])
            #expect(both.status != 0 && both.stderr.contains("only one of --db, --database-url, --snapshot and --exclusions"))
            let none = try cli.run(["filter", input, "--category", "content.posts", "--no-record-times", "--out", cli.path("x.jsonl")], withDB: false)
            #expect(none.status != 0 && none.stderr.contains("say where decisions come from"))
            let strict = try cli.run(["filter", input, "--category", "content.posts", "--no-record-times", "--strict", "--out", cli.path("x.jsonl")])
            #expect(strict.status != 0 && strict.stderr.contains("\(input):6: not a valid JSON object"), "\(strict.stderr)")
            #expect(!FileManager.default.fileExists(atPath: cli.path("x.jsonl")))
            let missing = try cli.run(["filter", cli.path("nope.jsonl"), "--category", "content.posts", "--no-record-times", "--out", cli.path("x.jsonl")])
            #expect(missing.status != 0 && missing.stderr.contains("nope.jsonl: cannot read: no such file"))
            // Without knowing what the records are, or when they could never be used, the gate does not run.
            for (arguments, words) in [([String](), "say what the records are: --category C"),
                                       (["--category", "messages.private"], "--category messages.private is never used for training"),
                                       (["--category", "blog"], "--category blog is not a category of the taxonomy: one of account.name"),
                                       (["--exclusions", input], "says nothing of the categories the policy allows: give the policy it was made under"),
                                       (["--category", "content.posts"], "the policy sets a minimum age of 18 and a look-back start of")] {
                let refused = try cli.run(["filter", input] + arguments + (arguments.first == "--exclusions" ? ["--category", "content.posts", "--no-record-times"] : [])
                                          + ["--out", cli.path("x.jsonl")], withDB: arguments.first != "--exclusions")
                #expect(refused.status == 64 && refused.stderr.contains(words), "\(arguments): \(refused.status) \(refused.stderr)")
            }
            #expect(!FileManager.default.fileExists(atPath: cli.path("x.jsonl")))
        }

        @Test func anInterruptedFilterLeavesNoPartialFileBehind() throws {
            let cli = try CLITests().seeded()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CLIRunner.binary)
            process.arguments = ["filter", "-", "--category", "content.posts", "--no-record-times", "--db", cli.db, "--out", cli.path("kept.jsonl")]
            let input = Pipe()
            process.standardInput = input
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            input.fileHandleForWriting.write(Data(#"{"member_id": "urn:li:member:3"}"#.utf8 + [0x0A]))
            // Wait for the partial output to exist, then interrupt as Ctrl-C or a scheduler would.
            // Its name is the output's, the process id and a random part nobody can plant in advance.
            let prefix = ".kept.jsonl.partial-\(process.processIdentifier)-"
            func partials() -> [String] {
                ((try? FileManager.default.contentsOfDirectory(atPath: cli.directory.path)) ?? []).filter { $0.hasPrefix(prefix) }
            }
            for _ in 0..<500 where partials().isEmpty { usleep(10_000) }
            #expect(partials().count == 1, "the filter should be writing beside its output")
            let partial = cli.path(partials().first ?? prefix)
            var status = stat()
            #expect(stat(partial, &status) == 0 && status.st_mode & 0o777 == 0o600, "a partial output is its owner's alone")
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
            #expect(process.terminationStatus == 128 + SIGTERM)
            #expect(!FileManager.default.fileExists(atPath: partial), "the partial file is removed")
            #expect(!FileManager.default.fileExists(atPath: cli.path("kept.jsonl")), "no output appears")
            try? input.fileHandleForWriting.close()
        }
    }
}
