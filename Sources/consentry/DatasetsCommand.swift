import ArgumentParser
import ConsentCore
import ConsentFormats
import Foundation
import TrainingGate

struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the eligible members' data, in allowed categories only, as a registered training dataset.",
        discussion: """
            Decides every member as of --as-of and writes, for each eligible member with data in a \
            category the active policy allows, one line {"member": ID, "data": {CATEGORY: VALUE, ...}} \
            to JSON Lines shards (part-00000.jsonl, ...; .jsonl.gz with --gzip) in DIR, then \
            manifest.json: dataset id, created at, as-of, policy version and SHA-256, counts by reason, \
            every shard's record count and SHA-256, the tool version. Never-allowed categories \
            (credentials, two-factor secrets, payment data, private messages) are never written. The \
            dataset and the members it holds are registered for lineage and purges, and audited. DIR \
            must be absent or empty.

              consentry datasets export --as-of 2026-01-01 --out datasets/2026-01 --name january-snapshot
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var time: AsOfOption

    @Option(name: .long, help: ArgumentHelp("The directory to write (absent or empty).", valueName: "dir"))
    var out: String

    @Option(help: "A name for the dataset (default: export-AS_OF).")
    var name: String?

    @Option(help: "Members per shard.")
    var shardRecords = 100_000

    @Flag(help: "Compress the shards (part-00000.jsonl.gz).")
    var gzip = false

    func validate() throws {
        guard shardRecords >= 1 else { throw ValidationError("--shard-records must be at least 1") }
    }

    func run() async throws {
        let store = try await store.openExisting()
        let result = try await DatasetExport.run(store: store, options: .init(
            asOf: time.instant, directory: out, name: name, shardRecords: shardRecords, gzip: gzip, actor: cliActor))
        let manifest = result.manifest
        print("export: dataset \(manifest.dataset) (\(manifest.name)): \(counted(manifest.records, "member")) in \(counted(manifest.files.count, "shard")) in \(out)")
        print("  as of \(Timestamp.format(manifest.asOf)), policy \(manifest.policyVersion ?? "-"); "
              + manifest.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        printError(String(format: "export: %d members read in %.2f s (%.0f members/s)", result.membersRead, result.seconds,
                          result.seconds > 0 ? Double(result.membersRead) / result.seconds : 0))
    }
}

struct DatasetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets",
        abstract: "Training data: filter and export what may be used, snapshots, the registered datasets, purge and lineage.",
        subcommands: [FilterCommand.self, ExportCommand.self, SnapshotCommand.self, List.self, Show.self, Verify.self, PurgeCommand.self,
                      LineageCommand.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per dataset: id, version, members, records, kind, name, location.")

        @OptionGroup var store: StoreOptions
        @Flag(help: "Print JSON Lines instead of a table.") var json = false
        @Flag(help: "Print only the dataset ids, one per line.") var ids = false

        func run() async throws {
            let datasets = try await store.openExisting().datasets()
            let output = Output()
            if ids {
                for dataset in datasets { output.line(dataset.id.rawValue) }
            } else if json {
                for dataset in datasets { output.line(JSONBody.string(DatasetBody(dataset))) }
            } else {
                output.line(Table.format([["DATASET", "VERSION", "MEMBERS", "RECORDS", "KIND", "CREATED", "NAME", "LOCATION"]]
                    + datasets.map { dataset in
                        [dataset.id.rawValue, String(dataset.current?.version ?? 0) + (dataset.pending != nil ? " (purge pending)" : ""),
                         String(dataset.members), String(dataset.current?.records ?? 0), dataset.kind.rawValue,
                         Timestamp.format(dataset.createdAt), dataset.name, dataset.location]
                    }))
            }
            output.flush()
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A dataset's facts, every version, and the manifest in place.",
            discussion: "Prints JSON: the dataset, its members count, its versions (pending and abandoned ones too) and the current manifest with its files."
        )

        @OptionGroup var store: StoreOptions
        @Argument(help: "The dataset id (see `consentry datasets list`).") var id: String

        func run() async throws {
            let id = DatasetID(rawValue: id)
            guard let dataset = try await store.openExisting().dataset(id) else { throw ConsentError.unknownDataset(id) }
            print(JSONBody.string(DatasetBody(dataset, withManifest: true)))
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that every dataset on disk is exactly one registered version and holds no objector; exit 1 when one does not.",
            discussion: """
                Reads every file and compares its SHA-256 with the manifest of the version in place, and \
                names every member a dataset holds although their objection was upheld or completed (an \
                erasure stays done: `consentry datasets purge` removes them). A purge interrupted before it \
                recorded its outcome is reported; the next `consentry datasets purge` settles it.
                """
        )

        @OptionGroup var store: StoreOptions
        @Argument(help: "Dataset ids (default: all).") var ids: [String] = []

        func run() async throws {
            let store = try await store.openExisting()
            var datasets = try await store.datasets()
            if !ids.isEmpty {
                let wanted = Set(ids)
                for id in wanted where !datasets.contains(where: { $0.id.rawValue == id }) {
                    throw ConsentError.unknownDataset(DatasetID(rawValue: id))
                }
                datasets = datasets.filter { wanted.contains($0.id.rawValue) }
            }
            var failed = 0
            let objectors = try await store.heldObjectors()
            for dataset in datasets {
                let check = DatasetCheck.check(dataset, heldObjectors: objectors)
                var line = "\(dataset.id): "
                if check.isIntact {
                    line += "intact, version \(check.versionOnDisk!) on disk"
                    if check.versionOnDisk != check.currentVersion { line += " (the store still says \(check.currentVersion ?? 0))" }
                } else {
                    line += "DAMAGED: " + check.problems.joined(separator: "; ")
                }
                if !check.objectors.isEmpty {
                    line += "; HOLDS \(check.objectors.count) member\(check.objectors.count == 1 ? "" : "s") whose objection was upheld: "
                        + check.objectors.map { "\($0.member) (objection \($0.objection), \($0.completed ? "completed" : "upheld"))" }
                            .joined(separator: ", ")
                        + "; `consentry datasets purge` removes them"
                }
                if !check.passes { failed += 1 }
                if let pending = check.pendingVersion { line += "; purge to version \(pending) interrupted, `consentry datasets purge --dataset \(dataset.id)` settles it" }
                print(line)
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}

struct LineageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Every dataset and model that holds, or held, one member's data.",
        discussion: """
            Prints JSON: the datasets with when they were created and, once purged, when the member \
            was removed; the models trained on a dataset version that held the member.

              consentry datasets lineage --member urn:li:member:1001
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "The member id.") var member: String

    func run() async throws {
        guard let id = MemberID(member) else { throw ValidationError("--member must be 1 to 256 bytes without control characters") }
        let lineage = try await store.openExisting().lineage(of: id)
        print(JSONBody.string(InclusionBody(lineage, member: id)))
    }
}

struct PurgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge",
        abstract: "Rewrite registered datasets without the data of people whose objection was upheld.",
        discussion: """
            For each dataset (--dataset ID, or --all): writes the new files beside the old ones, \
            fsyncs them, records the new version as pending, switches with one atomic rename (an \
            export's manifest.json, or the filtered file itself), records the new version with its \
            manifest naming the previous one, and deletes the old files. Killed at any point, a \
            dataset is entirely its old version or its new one; the next run settles an interrupted \
            purge. Upheld objections whose member no dataset holds any more become completed.

            Records naming someone whose objection as a non-member was upheld go too: searched in \
            the text field the dataset was filtered with (--text-field) and the member field, or in \
            the whole record when it names none. Each dataset is searched once per objection (its \
            manifest lists them in third_party_checked); the objection is completed once every \
            registered dataset was.

            --include-opted-out also removes members whose decision now is not eligible (opted out, \
            Global Privacy Control, an objection pending, …).

              consentry datasets purge --all
              consentry datasets purge --dataset ds_20260101_3f9a1c2b --include-opted-out
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Purge this dataset (repeatable).", valueName: "id")) var dataset: [String] = []
    @Flag(help: "Purge every registered dataset.") var all = false
    @Flag(help: "Also remove members who are no longer eligible now (opted out, GPC, pending objection, …).") var includeOptedOut = false
    @Option(help: "Scanning threads (default: the number of cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        guard all != !dataset.isEmpty else { throw ValidationError("give --dataset ID (one or more) or --all") }
        guard threads >= 1 && threads <= 256 else { throw ValidationError("--threads must be from 1 to 256") }
    }

    func run() async throws {
        let store = try await store.openExisting()
        let result = try await DatasetPurge.run(store: store, options: .init(
            datasets: all ? nil : dataset.map(DatasetID.init(rawValue:)), includeNotEligible: includeOptedOut,
            threads: threads, actor: cliActor))
        for outcome in result.outcomes {
            var line = "\(outcome.dataset): "
            if let recovered = outcome.recovered { line += "interrupted purge \(recovered); " }
            switch outcome.action {
            case .purged:
                line += "version \(outcome.version): removed \(counted(outcome.removedMembers, "member")), \(counted(outcome.removedRecords, "record"))"
                if !outcome.matchedObjections.isEmpty {
                    let named = outcome.thirdParty.values.reduce(0, +)
                    line += " (searched them for \(counted(outcome.matchedObjections.count, "person", plural: "people")) who objected "
                        + "without being a member: \(counted(named, "record")) named them)"
                }
            case .unchanged:
                line += "version \(outcome.version): nothing to remove"
            }
            print(line)
        }
        for id in result.completedObjections { print("objection \(id): completed") }
    }
}

/// A registered dataset as `datasets list` and `datasets show` print it.
struct DatasetBody: Encodable {
    let dataset: Dataset
    /// The current version's manifest, for `datasets show`.
    let manifest: JSONValue?

    init(_ dataset: Dataset, withManifest: Bool = false) {
        self.dataset = dataset
        manifest = withManifest ? (dataset.current.map { JSONValue.embedding($0.manifestJSON) } ?? .null) : nil
    }

    enum CodingKeys: String, CodingKey {
        case id, kind, location, manifest, members, name, records, version, versions
        case asOf = "as_of", createdAt = "created_at", memberField = "member_field", policyVersion = "policy_version"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dataset.asOf, forKey: .asOf)
        try container.encode(dataset.createdAt, forKey: .createdAt)
        try container.encode(dataset.id.rawValue, forKey: .id)
        try container.encode(dataset.kind.rawValue, forKey: .kind)
        try container.encode(dataset.location, forKey: .location)
        try container.encodeIfPresent(manifest, forKey: .manifest)
        try container.encode(dataset.memberField, forKey: .memberField)
        try container.encode(dataset.members, forKey: .members)
        try container.encode(dataset.name, forKey: .name)
        try container.encode(dataset.policyVersion, forKey: .policyVersion)
        try container.encode(dataset.current?.records ?? 0, forKey: .records)
        try container.encode(dataset.current?.version ?? 0, forKey: .version)
        try container.encode(dataset.versions.map(Version.init), forKey: .versions)
    }

    struct Version: Encodable {
        let createdAt: Date
        let manifestSHA256: String
        let records: Int
        let removedMembers: Int
        let state: String
        let version: Int

        init(_ version: DatasetVersion) {
            createdAt = version.createdAt
            manifestSHA256 = version.manifestSHA256
            records = version.records
            removedMembers = version.removedMembers
            state = version.state.rawValue
            self.version = version.version
        }

        enum CodingKeys: String, CodingKey {
            case records, state, version
            case createdAt = "created_at", manifestSHA256 = "manifest_sha256", removedMembers = "removed_members"
        }
    }
}

/// A registered model as `models list` prints it.
struct ModelBody: Encodable {
    let name: String
    let registeredAt: Date
    let datasets: [Source]
    let removedMembers: Int
    /// Trained on a dataset version that held members since removed.
    let containsRemovedData: Bool

    struct Source: Encodable {
        let dataset: String
        let version: Int
    }

    init(_ model: TrainedModel) {
        name = model.name
        registeredAt = model.registeredAt
        datasets = model.sources.map { Source(dataset: $0.dataset.rawValue, version: $0.version) }
        removedMembers = model.removedMembers
        containsRemovedData = model.containsRemovedData
    }

    enum CodingKeys: String, CodingKey {
        case name, datasets
        case registeredAt = "registered_at", removedMembers = "removed_members", containsRemovedData = "contains_removed_data"
    }
}

/// `1 member`, `3 members`.
func counted(_ count: Int, _ noun: String, plural: String? = nil) -> String {
    "\(count) " + (count == 1 ? noun : plural ?? noun + "s")
}

/// Left-aligned columns separated by two spaces.
enum Table {
    static func format(_ rows: [[String]]) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}
