import ConsentTesting
import Foundation
import Testing

extension CLISuite {
    /// `consentry report`: the transparency report agrees with `stats`, `objections list` and
    /// `models list` on the same store, and never publishes a count under the minimum.
    struct ReportCLITests {
        func object(_ text: String) throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }

        /// Every count of people a report publishes (not the policy, the window, the minimum, nor
        /// the number of purges and models, which are not people).
        func counts(_ report: [String: Any]) -> [Int?] {
            func ints(_ value: Any?) -> [Int?] {
                switch value {
                case let number as Int: [number]
                case is NSNull: [nil]
                case let dictionary as [String: Any]:
                    dictionary.filter { !$0.key.hasSuffix("share") && !$0.key.hasSuffix("days_to_decision") && !["purges", "models_trained_before_removal"].contains($0.key) }
                        .values.flatMap(ints)
                case let array as [Any]: array.flatMap(ints)
                default: []
                }
            }
            return ["members", "eligible", "excluded", "by_reason", "regions", "weeks", "objections", "removal"].flatMap { ints(report[$0]) }
        }

        @Test func theReportAgreesWithStatsObjectionsAndModelsAndWithholdsSmallCounts() throws {
            let cli = try CLIRunner()
            #expect(try cli.run(["demo", "--no-serve", "--members", "600"]).status == 0)
            // An export, a model trained on it, then one of its members objects and is purged.
            let export = try cli.run(["datasets", "export", "--out", cli.path("export"), "--name", "everyone"])
            #expect(export.status == 0, "\(export.stderr)")
            let dataset = try #require(try cli.run(["datasets", "list", "--ids"]).lines.first)
            #expect(try cli.run(["models", "register", "assistant-v1", "--datasets", dataset]).status == 0)
            let shard = try String(contentsOfFile: cli.path("export/part-00000.jsonl"), encoding: .utf8)
            let member = try #require(try object(String(shard.prefix { $0 != "\n" }))["member"] as? String)
            let objection = try cli.run(["objections", "file", "--member", member]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try cli.run(["objections", "decide", objection, "--uphold", "--reason", "Upheld: removed from every dataset"]).status == 0)
            #expect(try cli.run(["datasets", "purge", "--all"]).status == 0)

            let window = ["--from", "2025-06-02"]
            let everything = try object(try cli.run(["report", "transparency", "--format", "json", "--minimum-count", "1"] + window).stdout)
            let stats = try object(try cli.run(["stats"]).stdout)
            #expect(everything["members"] as? Int == stats["members"] as? Int && everything["eligible"] as? Int == stats["eligible"] as? Int)
            let reasons = try #require(everything["by_reason"] as? [String: Int])
            #expect(reasons == (stats["by_reason"] as? [String: Int]), "every reason, the same counts")
            let regions = try #require(everything["regions"] as? [[String: Any]])
            let byRegion = try #require(stats["by_region"] as? [String: Int])
            #expect(Dictionary(uniqueKeysWithValues: regions.map { ($0["id"] as! String, $0["members"] as! Int) }) == byRegion)

            let objections = try cli.run(["objections", "list"]).lines.map(object)
            let decided = objections.filter { ($0["decided_at"] as? String).map { $0 >= "2025-06-02" } ?? false }.count
            let figures = try #require(everything["objections"] as? [String: Any])
            #expect(figures["decided"] as? Int == decided && decided > 0)
            let weeks = try #require(everything["weeks"] as? [[String: Any]])
            #expect(weeks.reduce(0) { $0 + ($1["objections_received"] as! Int) }
                    == objections.filter { ($0["received_at"] as! String) >= "2025-06-02" }.count)

            let models = try cli.run(["models", "list", "--json"]).lines.map(object)
            let removal = try #require(everything["removal"] as? [String: Any])
            #expect(removal["removed_members_seen_by_models"] as? Int == models.reduce(0) { $0 + ($1["removed_members"] as! Int) })
            #expect(removal["models_trained_before_removal"] as? Int == 1 && removal["purges"] as? Int == 1 && removal["removed_members"] as? Int == 1)

            // Published with the default minimum of 10: no count from 1 to 9, and some withheld.
            let published = try object(try cli.run(["report", "transparency", "--format", "json"] + window).stdout)
            #expect(published["minimum_count"] as? Int == 10)
            let shown = counts(published)
            #expect(shown.compactMap { $0 }.allSatisfy { $0 == 0 || $0 >= 10 }, "\(shown)")
            #expect(shown.contains { $0 == nil }, "the one purge removed one member: withheld")
            #expect(published["members"] as? Int == stats["members"] as? Int)

            let html = try cli.run(["report", "transparency", "--format", "html"] + window).stdout
            #expect(html.hasPrefix("<!doctype html>") && html.components(separatedBy: "<svg viewBox=").count - 1 == 8)
            #expect(!html.contains("/assets/settings.css"), "one file, nothing beside it")

            let summary = try object(try cli.run(["report", "training-summary", "--model", "assistant-v1", "--format", "json"]).stdout)
            #expect(summary["members_removed_after_training"] as? Int == 1)
            let sources = try #require(summary["sources"] as? [[String: Any]])
            #expect(sources.count == 1 && sources[0]["dataset"] as? String == dataset && sources[0]["left_out_unit"] as? String == "members")
            let manifest = try object(try String(contentsOfFile: cli.path("export/manifest.json"), encoding: .utf8))
            #expect(summary["categories"] as? [String] == manifest["categories"] as? [String])
            let excluded = try #require(summary["members_excluded_by_reason"] as? [String: Int])
            #expect(excluded["opted_out"] != nil && excluded["opted_in"] == nil && excluded["eligible"] == nil)
            let removals = try #require(summary["removals_after_training"] as? [[String: Any]])
            #expect(removals.count == 1 && (removals[0]["reasons"] as? [String: Int]) == ["objection_upheld": 1])
            let text = try cli.run(["report", "training-summary", "--model", "assistant-v1"]).stdout
            #expect(text.contains("Members removed from the training data after the model was trained: 1"))
            let unknown = try cli.run(["report", "training-summary", "--model", "nope"])
            #expect(unknown.status != 0 && unknown.stderr.contains("no model named \"nope\""))
        }
    }
}
