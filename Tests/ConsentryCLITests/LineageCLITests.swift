import ConsentTesting
import Foundation
import Testing

/// export, datasets, models and lineage as a person runs them.
@Suite(.serialized)
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
        for command in [["filter", "-", "--out", "-", "--as-of", "2999-01-01"], ["snapshot", "--as-of", "2999-01-01", "--out", cli.path("s.tsv")]] {
            let future = try cli.run(command, stdin: "")
            #expect(future.status == 1 && future.stderr.contains("is in the future"), "\(command): \(future.stderr)")
        }
    }
}
