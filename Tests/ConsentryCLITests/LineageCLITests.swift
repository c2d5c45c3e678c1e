import ConsentTesting
import Foundation
import GRDB
import Testing

extension CLISuite {
    /// export, datasets, models and lineage as a person runs them.
    struct LineageCLITests {
        @Test func exportRegistersADatasetThatListShowAndLineageDescribe() throws {
            let cli = try CLITests().seeded()
            // Member 3 (eligible) gets data in an allowed and a never-allowed category.
            let data = try cli.write("more.jsonl", #"{"id": "urn:li:member:3", "birth_date": "1985-02-01", "country": "CA", "data": {"profile.headline": "Pilot", "messages.private": "never"}}"# + "\n")
            #expect(try cli.run(["import", "members", data]).status == 0)
            let export = try cli.run(["export", "--as-of", "2026-01-01", "--out", cli.path("ds"), "--name", "january"])
            #expect(export.status == 0, "\(export.stderr)")
            #expect(export.stdout.contains("1 member in 1 shard in"), "\(export.stdout)")
            let shard = try String(contentsOfFile: cli.path("ds/part-00000.jsonl"), encoding: .utf8)
            #expect(shard == #"{"member":"urn:li:member:3","data":{"profile.headline":"Pilot"}}"# + "\n")
            let refused = try cli.run(["export", "--as-of", "2026-01-01", "--out", cli.path("ds")])
            #expect(refused.status != 0 && refused.stderr.contains("is not empty"), "\(refused.stderr)")

            let listed = try cli.run(["datasets", "list", "--json"])
            let dataset = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])
            let id = try #require(dataset["id"] as? String)
            #expect(dataset["name"] as? String == "january" && dataset["members"] as? Int == 1 && dataset["version"] as? Int == 1)
            let table = try cli.run(["datasets", "list"])
            #expect(table.lines.first?.hasPrefix("DATASET") == true && table.lines.count == 2 && table.stdout.contains(id))
            let shown = try cli.run(["datasets", "show", id])
            let show = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
            let manifest = try #require(show["manifest"] as? [String: Any])
            #expect(manifest["dataset"] as? String == id && (manifest["files"] as? [Any])?.count == 1)
            #expect(try cli.run(["datasets", "show", "ds_nope"]).stderr.contains("unknown dataset \"ds_nope\""))

            let model = try cli.run(["models", "register", "assistant", "--datasets", id])
            #expect(model.status == 0 && model.stdout.contains("trained on \(id) v1"), "\(model.stderr)")
            let models = try cli.run(["models", "list"])
            #expect(models.lines.count == 2 && models.lines[1].hasSuffix("no"), "\(models.stdout)")
            let lineage = try cli.run(["lineage", "--member", "urn:li:member:3"])
            #expect(lineage.stdout.contains(#""dataset":"\#(id)""#) && lineage.stdout.contains(#""model":"assistant""#), "\(lineage.stdout)")
            let unknown = try cli.run(["lineage", "--member", "urn:li:member:99"])
            #expect(unknown.status != 0 && unknown.stderr.contains("unknown member"))
            #expect(try cli.run(["purge"]).stderr.contains("give --dataset ID (one or more) or --all"))
            for command in [["filter", "-", "--category", "content.posts", "--no-record-times", "--out", "-", "--as-of", "2999-01-01"], ["snapshot", "--as-of", "2999-01-01", "--out", cli.path("s.tsv")]] {
                let future = try cli.run(command, stdin: "")
                #expect(future.status == 1 && future.stderr.contains("is in the future"), "\(command): \(future.stderr)")
            }
        }

        /// The sequence that undid an erasure before: export, object, uphold, the objection reported
        /// completed while a dataset still held the member (as the release of 2026-11-30 could leave
        /// it), then a backdated export.
        @Test func anErasureStaysDone() throws {
            let cli = try CLITests().seeded()
            let member = "urn:li:member:3"
            let data = try cli.write("more.jsonl", #"{"id": "urn:li:member:3", "birth_date": "1985-02-01", "country": "CA", "data": {"profile.headline": "Pilot"}}"# + "\n")
            #expect(try cli.run(["import", "members", data]).status == 0)
            #expect(try cli.run(["export", "--as-of", "2026-01-01", "--out", cli.path("e1")]).status == 0)
            let dataset = try #require(try cli.run(["datasets", "list", "--ids"]).lines.first)
            let objection = try cli.run(["objections", "file", "--member", member]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            let upheld = try cli.run(["objections", "decide", objection, "--uphold", "--reason", "Upheld; data will be removed"])
            #expect(upheld.status == 0 && upheld.stdout.contains(#""status":"upheld""#), "held by \(dataset): not complete yet. \(upheld.stdout)")
            // What the old release wrote: the objection completed, the dataset still holding the member.
            let queue = try DatabaseQueue(path: cli.db)
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO objection_events (objection_id, position, kind, at, reason, actor, recorded_at)
                    SELECT objection_id, max(position) + 1, 'completed', max(at) + 1, 'No registered dataset holds this member''s data.', 'old', max(at) + 1
                    FROM objection_events WHERE objection_id = ?
                    """, arguments: [objection])
            }
            try queue.close()

            let verify = try cli.run(["datasets", "verify"])
            #expect(verify.status == 1 && verify.stdout.contains("\(dataset): intact, version 1 on disk; HOLDS 1 member whose objection was upheld: \(member) (objection \(objection), completed)"),
                    "\(verify.stdout)")
            let purged = try cli.run(["purge", "--all"])
            #expect(purged.status == 0 && purged.stdout.contains(dataset), "\(purged.stdout)\(purged.stderr)")
            #expect(try cli.run(["datasets", "verify"]).status == 0)
            #expect(try cli.run(["lineage", "--member", member]).stdout.contains(#""holds_member":false"#))

            // A backdated export: the member was eligible then, but using data is a use now.
            let backdated = try cli.run(["export", "--as-of", "2025-12-15", "--out", cli.path("e2")])
            #expect(backdated.status == 0 && backdated.stdout.contains("objection_upheld 1"), "\(backdated.stdout)\(backdated.stderr)")
            let shards = try FileManager.default.contentsOfDirectory(atPath: cli.path("e2")).filter { $0.hasPrefix("part-") }
            for shard in shards { #expect(!(try String(contentsOfFile: cli.path("e2/" + shard), encoding: .utf8)).contains(member)) }
            #expect(try cli.run(["datasets", "verify"]).status == 0)
            #expect(!(try cli.run(["lineage", "--member", member]).stdout.contains(#""holds_member":true"#)))
            // And every other path: the exclusions list, the snapshot and the store-backed filter.
            #expect(try cli.run(["exclusions", "--as-of", "2025-12-15"]).lines.contains(member))
            #expect(try cli.run(["snapshot", "--as-of", "2025-12-15", "--out", cli.path("s.tsv")]).status == 0)
            #expect(try String(contentsOfFile: cli.path("s.tsv"), encoding: .utf8).contains("\(member)\tfalse\tobjection_upheld\t"))
            let filtered = try cli.run(["filter", "-", "--category", "content.posts", "--no-record-times", "--out", "-", "--as-of", "2025-12-15"], stdin: #"{"member_id": "urn:li:member:3"}"# + "\n")
            #expect(filtered.status == 0 && filtered.stdout.isEmpty && filtered.stderr.contains("objection_upheld 1"), "\(filtered.stderr)")
        }
    }
}
