import ConsentCore
import ConsentFormats
import Foundation

/// `consentry datasets filter --register NAME`: a filter run whose output becomes a registered dataset,
/// with the members whose records it kept, so that `lineage` and `purge` know about it.
///
/// The output is written to a hidden file beside its final path, registered, and only then
/// renamed into place: a filtered file nobody could purge never appears.
public enum RegisteredFilter {
    public static func run(inputs: [String], output: String, decisions: GateDecisions, options: FilterOptions,
                           name: String, store: some LineageStore, actor: String) async throws -> (FilterResult, DatasetManifest) {
        guard output != "-" else { throw GateError.usage("--register needs --out FILE: standard output cannot be registered or purged") }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw GateError.usage("--register needs a dataset name") }
        let location = URL(fileURLWithPath: output).standardizedFileURL.path
        let directory = URL(fileURLWithPath: location).deletingLastPathComponent().path
        let base = URL(fileURLWithPath: location).lastPathComponent
        let staged = directory + "/" + DatasetPurge.newName(of: base, kind: .filter, version: 1)
        var options = options
        options.collectMembers = true
        options.hashing = true
        options.hashInputs = false
        let result = try GateFilter.run(inputs: inputs, output: staged, decisions: decisions, options: options)
        var registered = false
        do {
            var counts = ["kept": result.kept]
            for (reason, count) in result.dropped { counts[reason.code] = count }
            var manifest = DatasetManifest(
                dataset: .random(at: Date()), name: name, kind: .filter, version: 1, previous: nil, createdAt: Date(),
                asOf: decisions.asOf, policyVersion: decisions.policyVersion, policySHA256: decisions.policySHA256,
                memberField: options.memberField, records: result.kept, members: result.keptMembers.count, counts: counts,
                categories: result.keptCategories.map(\.rawValue), files: [.init(name: base, records: result.kept, bytes: result.storedBytes, sha256: result.outputSHA256 ?? "")],
                purge: nil)
            manifest.recordTimes = options.noRecordTimes ? "none" : options.timeField
            manifest.textField = options.noText ? "none" : options.textField
            manifest.thirdPartyChecked = decisions.thirdParty.map(\.id).sorted()
            let text = manifest.json
            try await store.registerDataset(
                NewDataset(id: manifest.dataset, name: name, kind: .filter, location: location, memberField: options.memberField,
                           asOf: decisions.asOf, policyVersion: decisions.policyVersion, policySHA256: decisions.policySHA256,
                           manifestJSON: text, manifestSHA256: Digest.sha256Hex(text), records: result.kept),
                members: result.keptMembers, actor: actor)
            registered = true
            guard rename(staged, location) == 0 else {
                throw GateError.output(location, "registered as \(manifest.dataset) but cannot be put in place: "
                                       + String(cString: strerror(errno)) + "; it is at \(staged)")
            }
            syncDirectory(of: location)
            try AtomicFile.write(text, to: location + ".manifest.json")
            return (result, manifest)
        } catch {
            // Once registered, the staged file is the dataset: `consentry datasets purge` puts it in place.
            if !registered { unlink(staged) }
            throw error
        }
    }
}
