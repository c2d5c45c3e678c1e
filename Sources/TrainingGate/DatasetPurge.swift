import ConsentCore
import ConsentFormats
import Foundation

/// `consentry datasets purge`: rewrites registered datasets without the records of members whose
/// objection was upheld (and, when asked, of members no longer eligible), and without the records
/// that name someone whose objection as a non-member was upheld.
///
/// Non-members are found as the gate finds them (``ThirdPartyMatcher``): in the text field the
/// dataset was filtered with and the member field, or in the whole record when its manifest
/// names no text field (an export, or a file filtered while nobody objected). Each version's
/// manifest lists the objections it was matched against (`third_party_checked`), so a dataset
/// is searched once per objection, and such an objection completes once every registered
/// dataset lists it.
///
/// Each dataset moves from one version to the next in steps that survive `kill -9` anywhere:
/// 1. the new files are written beside the old ones and fsynced (`part-00000.v2.jsonl`, or a
///    hidden `.NAME.v2` beside a filtered file);
/// 2. the store records the new version as *pending*, with the members it removes;
/// 3. the switch: the new `manifest.json` is renamed over the old one (an export: readers find
///    the shards through it), or the new file is renamed over the old one (a filtered file);
/// 4. the store marks the version *committed*, marks the members removed, and completes
///    upheld objections whose member no dataset holds any more;
/// 5. the old files are deleted.
///
/// A run that finds a pending version settles it first by looking at the disk: the switch
/// happened (commit it) or it did not (abandon it and delete its files). So a dataset is
/// always entirely its old version or entirely its new one.
public enum DatasetPurge {
    public struct Options: Sendable {
        /// The datasets to purge; nil for all.
        public var datasets: [DatasetID]?
        /// Also remove members whose decision now is not eligible (opted out, or any other reason).
        public var includeNotEligible: Bool
        public var threads: Int
        public var actor: String

        public init(datasets: [DatasetID]?, includeNotEligible: Bool = false, threads: Int = 2, actor: String) {
            self.datasets = datasets
            self.includeNotEligible = includeNotEligible
            self.threads = threads
            self.actor = actor
        }
    }

    /// What happened to one dataset.
    public struct Outcome: Sendable, Equatable {
        public enum Action: String, Sendable {
            /// A new version without the removed members is in place.
            case purged
            /// Nobody to remove.
            case unchanged
        }

        public var dataset: DatasetID
        public var action: Action
        public var version: Int
        public var removedMembers: Int
        public var removedRecords: Int
        /// Records removed because they name a non-member whose objection was upheld, by objection.
        public var thirdParty: [String: Int] = [:]
        /// The non-members' objections this version was matched against for the first time.
        public var matchedObjections: [String] = []
        /// An interrupted purge found and settled first: "committed vN" or "abandoned vN".
        public var recovered: String?
    }

    public struct Result: Sendable {
        public var outcomes: [Outcome]
        /// Upheld objections now complete (no dataset holds their member, or a record naming
        /// the non-member who objected).
        public var completedObjections: [ObjectionID]
    }

    public static func run(store: some LineageStore, options: Options) async throws -> Result {
        let targets: [Dataset]
        if let ids = options.datasets {
            var list: [Dataset] = []
            for id in ids {
                guard let dataset = try await store.dataset(id) else { throw ConsentError.unknownDataset(id) }
                list.append(dataset)
            }
            targets = list
        } else {
            targets = try await store.datasets()
        }
        // An erasure stays done: a completed objection's member is removed again wherever
        // they turn up (a dataset made before the rule, or outside the gate).
        let objections = try await store.objections(status: nil)
        let upheld = Set(objections.filter { $0.status == .upheld || $0.status == .completed }.compactMap(\.member))
        let thirdParty = ThirdPartyObjection.removing(objections)
        var outcomes: [Outcome] = []
        var completed: [ObjectionID] = []
        for target in targets {
            var dataset = target
            var recovered: String?
            if let pending = dataset.pending {
                let committed = try settle(dataset, pending: pending)
                completed += try await store.finishPurge(of: dataset.id, version: pending.version, committed: committed,
                                                         actor: options.actor)
                if committed { try removeUnreferencedFiles(dataset, keeping: pending) }
                recovered = (committed ? "committed v" : "abandoned v") + String(pending.version)
                guard let reloaded = try await store.dataset(dataset.id) else { throw ConsentError.unknownDataset(dataset.id) }
                dataset = reloaded
            }
            guard let current = dataset.current else { continue }
            try placeRegisteredFile(dataset, version: current)
            try removeUnreferencedFiles(dataset, keeping: current)
            var outcome = try await purge(dataset, current: current, upheld: upheld, thirdParty: thirdParty, store: store, options: options)
            outcome.outcome.recovered = recovered
            completed += outcome.completed
            outcomes.append(outcome.outcome)
        }
        completed += try await store.completeObjections(actor: options.actor)
        completed += try await completeNonMembers(objections, store: store, actor: options.actor)
        return Result(outcomes: outcomes, completedObjections: completed)
    }

    /// Completes every upheld objection of a non-member that every registered dataset's current
    /// version was matched against.
    private static func completeNonMembers(_ objections: [Objection], store: some LineageStore, actor: String) async throws -> [ObjectionID] {
        let upheld = objections.filter { $0.member == nil && $0.status == .upheld }
        guard !upheld.isEmpty else { return [] }
        var checked: [(DatasetID, Set<String>)] = []
        for dataset in try await store.datasets() {
            guard let current = dataset.current else { continue }
            let manifest = try DatasetManifest.parse(current.manifestJSON, source: "dataset \(dataset.id) v\(current.version)")
            checked.append((dataset.id, Set(manifest.thirdPartyChecked)))
        }
        checked.sort { $0.0.rawValue.utf8.lexicographicallyPrecedes($1.0.rawValue.utf8) }
        let matched = checked.map(\.0)
        var completed: [ObjectionID] = []
        for objection in upheld {
            let unmatched = checked.filter { !$0.1.contains(objection.id.rawValue) }.count
            guard (try objection.completedOnceMatched(unmatched: unmatched, matched: matched, at: Date())) != nil else { continue }
            _ = try await store.updateObjection(objection.id, actor: actor) { stored in
                // Decided again on what is stored now: it may have moved since it was read.
                guard let done = try stored.completedOnceMatched(unmatched: unmatched, matched: matched, at: Date()) else {
                    throw ConsentError.lineageConflict("objection \(objection.id) changed while the purge ran; run it again")
                }
                return done
            }
            completed.append(objection.id)
        }
        return completed
    }

    private static func purge(_ dataset: Dataset, current: DatasetVersion, upheld: Set<MemberID>, thirdParty: [ThirdPartyObjection],
                              store: some LineageStore, options: Options) async throws -> (outcome: Outcome, completed: [ObjectionID]) {
        let manifest = try DatasetManifest.parse(current.manifestJSON, source: "dataset \(dataset.id) v\(current.version)")
        // The non-members' objections this version was not yet matched against.
        let matchedBefore = Set(manifest.thirdPartyChecked)
        let due = thirdParty.filter { !matchedBefore.contains($0.id) }
        let held = try await store.members(of: dataset.id)
        var removing: [MemberID] = []
        var reasons: [String: Int] = [:]
        var notEligible: [MemberID: Reason] = [:]
        if options.includeNotEligible, !held.isEmpty {
            let now = Date()
            let view = try await store.decisionView(members: held, now: now)
            // A member the store no longer holds cannot be shown eligible: member_unknown takes them out too.
            for id in held {
                let decision = try view.decision(for: id, at: now)
                if !decision.eligible { notEligible[id] = decision.reason }
            }
        }
        for id in held {
            if upheld.contains(id) {
                removing.append(id)
                reasons[Reason.objectionUpheld.rawValue, default: 0] += 1
            } else if let reason = notEligible[id] {
                removing.append(id)
                reasons[reason.rawValue, default: 0] += 1
            }
        }
        let unchanged = Outcome(dataset: dataset.id, action: .unchanged, version: current.version, removedMembers: 0,
                                removedRecords: 0, recovered: nil)
        guard !removing.isEmpty || !due.isEmpty else { return (unchanged, []) }

        let directory = Self.directory(of: dataset)
        for file in manifest.files {
            let path = directory + "/" + file.name
            guard FileManager.default.fileExists(atPath: path) else {
                throw GateError.input(path, "missing: dataset \(dataset.id) v\(current.version) lists it; nothing was changed")
            }
            guard try FileDigest.sha256(of: path) == file.sha256 else {
                throw GateError.input(path, "differs from dataset \(dataset.id) v\(current.version)'s manifest (SHA-256); it was changed outside Consentry, nothing was purged")
            }
        }

        // 1. New files beside the old ones.
        var loader = MemberTable.Loader(expectedCount: removing.count)
        for id in removing { loader.add(id.rawValue, GateVerdict(drop: .excluded)) }
        let decisions = GateDecisions(table: loader.finish(), unknownIsEligible: true, asOf: Date(), lookbackStart: nil,
                                      thirdParty: due, policyVersion: nil, policySHA256: nil, source: "purge")
        let next = (dataset.versions.last?.version ?? current.version) + 1
        var files: [DatasetManifest.File] = []
        var written: [String] = []
        var records = 0
        // The inputs were checked against the manifest above: only the new files need hashing.
        var filterOptions = FilterOptions(memberField: dataset.memberField, threads: options.threads, hashing: true)
        filterOptions.hashInputs = false
        // The dataset's categories were checked when it was written; a purge only removes members.
        filterOptions.checksRecordRules = false
        if !due.isEmpty {
            // Records naming a non-member may be any member's: which members are left is known
            // only once the files are read.
            filterOptions.collectMembers = true
            if let field = manifest.textField, field != "none" {
                filterOptions.textField = field
            } else {
                filterOptions.matchesWholeRecords = true
            }
        }
        var kept = Set<MemberID>()
        var thirdPartyRecords: [String: Int] = [:]
        do {
            for file in manifest.files {
                let name = newName(of: file.name, kind: dataset.kind, version: next)
                let result = try GateFilter.run(inputs: [directory + "/" + file.name], output: directory + "/" + name,
                                                decisions: decisions, options: filterOptions)
                if result.kept == file.records, dataset.kind == .export {
                    // Nobody to remove in this shard: the new version keeps the file as it is.
                    unlink(directory + "/" + name)
                    files.append(file)
                } else {
                    written.append(directory + "/" + name)
                    files.append(.init(name: dataset.kind == .filter ? file.name : name, records: result.kept,
                                       bytes: result.storedBytes, sha256: result.outputSHA256 ?? ""))
                }
                records += result.kept
                kept.formUnion(result.keptMembers)
                thirdPartyRecords.merge(result.thirdParty, uniquingKeysWith: +)
            }
        } catch {
            for path in written { unlink(path) }
            throw error
        }
        Failpoint.hit("purge-files-written")
        if !due.isEmpty {
            // Members none of whose records are left (all named a non-member) leave the dataset too.
            let byObjection = Set(removing)
            let emptied = held.filter { !byObjection.contains($0) && !kept.contains($0) }
            if !emptied.isEmpty { reasons[DropReason.thirdPartyObjection.code] = emptied.count }
            removing += emptied
        }

        var newManifest = manifest
        newManifest.version = next
        newManifest.previous = (current.version, current.manifestSHA256)
        newManifest.createdAt = Date()
        newManifest.records = records
        newManifest.members = held.count - removing.count
        newManifest.files = files
        newManifest.purge = .init(removedMembers: removing.count, removedRecords: current.records - records, reasons: reasons,
                                  thirdParty: thirdPartyRecords)
        newManifest.thirdPartyChecked = matchedBefore.union(due.map(\.id)).sorted()
        newManifest.tool = "consentry " + GateVersion.tool
        let text = newManifest.json
        let pending = DatasetVersion(version: next, state: .pending, createdAt: newManifest.createdAt, manifestJSON: text,
                                     manifestSHA256: Digest.sha256Hex(text), records: records, removedMembers: removing.count)
        // 2. The store knows what is about to happen.
        do {
            try await store.beginPurge(of: dataset.id, version: pending, removing: removing, actor: options.actor)
        } catch {
            for path in written { unlink(path) }
            throw error
        }
        Failpoint.hit("purge-pending-recorded")
        // 3. The switch.
        try switchVersion(dataset, to: newManifest)
        Failpoint.hit("purge-switched")
        // 4. The store records it, and completes objections.
        let completed = try await store.finishPurge(of: dataset.id, version: next, committed: true, actor: options.actor)
        Failpoint.hit("purge-committed")
        // 5. The old files go.
        try removeUnreferencedFiles(dataset, keeping: pending)
        return (Outcome(dataset: dataset.id, action: .purged, version: next, removedMembers: removing.count,
                        removedRecords: current.records - records, thirdParty: thirdPartyRecords,
                        matchedObjections: due.map(\.id), recovered: nil), completed)
    }

    /// The directory holding the dataset's files and manifest.
    static func directory(of dataset: Dataset) -> String {
        dataset.kind == .export ? dataset.location : URL(fileURLWithPath: dataset.location).deletingLastPathComponent().path
    }

    /// Where a filtered file's manifest lives: beside it.
    public static func manifestPath(of dataset: Dataset) -> String {
        dataset.kind == .export ? dataset.location + "/manifest.json" : dataset.location + ".manifest.json"
    }

    /// The name a purge writes version `version` of a file under: `part-00000.v3.jsonl` for a
    /// shard, a hidden `.NAME.v3` beside a filtered file (renamed over it at the switch).
    static func newName(of name: String, kind: DatasetKind, version: Int) -> String {
        if kind == .filter { return ".\(name).v\(version)" }
        guard let base = name.range(of: "part-") , let dot = name[base.upperBound...].firstIndex(of: ".") else {
            return name + ".v\(version)"
        }
        return "part-" + name[base.upperBound..<dot] + ".v\(version)" + (name.hasSuffix(".gz") ? ".jsonl.gz" : ".jsonl")
    }

    /// Puts the new version in place with one rename.
    private static func switchVersion(_ dataset: Dataset, to manifest: DatasetManifest) throws {
        switch dataset.kind {
        case .export:
            try AtomicFile.write(manifest.json, to: manifestPath(of: dataset))
        case .filter:
            let staged = directory(of: dataset) + "/" + newName(of: URL(fileURLWithPath: dataset.location).lastPathComponent,
                                                                kind: .filter, version: manifest.version)
            guard rename(staged, dataset.location) == 0 else {
                throw GateError.output(dataset.location, "cannot put the purged version in place: " + String(cString: strerror(errno)))
            }
            syncDirectory(of: dataset.location)
            try AtomicFile.write(manifest.json, to: manifestPath(of: dataset))
        }
    }

    /// A filtered file registered but not yet renamed into place (the run stopped in between)
    /// is put in place now.
    static func placeRegisteredFile(_ dataset: Dataset, version: DatasetVersion) throws {
        guard dataset.kind == .filter, !FileManager.default.fileExists(atPath: dataset.location) else { return }
        let staged = directory(of: dataset) + "/" + newName(of: URL(fileURLWithPath: dataset.location).lastPathComponent,
                                                            kind: .filter, version: version.version)
        guard FileManager.default.fileExists(atPath: staged) else { return }
        guard rename(staged, dataset.location) == 0 else {
            throw GateError.output(dataset.location, "cannot put the registered file in place: " + String(cString: strerror(errno)))
        }
        syncDirectory(of: dataset.location)
        try AtomicFile.write(version.manifestJSON, to: manifestPath(of: dataset))
    }

    /// Whether an interrupted purge's switch happened (commit) or not (abandon).
    static func settle(_ dataset: Dataset, pending: DatasetVersion) throws -> Bool {
        let manifest = try DatasetManifest.parse(pending.manifestJSON, source: "dataset \(dataset.id) v\(pending.version)")
        let committed: Bool
        switch dataset.kind {
        case .export:
            let onDisk = try? String(contentsOfFile: manifestPath(of: dataset), encoding: .utf8)
            committed = onDisk.map(Digest.sha256Hex) == pending.manifestSHA256
        case .filter:
            let file = manifest.files.first
            let staged = directory(of: dataset) + "/" + newName(of: URL(fileURLWithPath: dataset.location).lastPathComponent,
                                                                kind: .filter, version: pending.version)
            if FileManager.default.fileExists(atPath: staged) {
                committed = false
            } else {
                committed = (try? FileDigest.sha256(of: dataset.location)) == file?.sha256
            }
            if committed { try AtomicFile.write(pending.manifestJSON, to: manifestPath(of: dataset)) }
        }
        if !committed, dataset.kind == .export {
            // The abandoned version's new shards go; shards it shared with the version in place stay.
            let current = dataset.current.flatMap { try? DatasetManifest.parse($0.manifestJSON, source: "") }
            let kept = Set(current?.files.map(\.name) ?? [])
            for file in manifest.files where !kept.contains(file.name) {
                unlink(directory(of: dataset) + "/" + file.name)
            }
        }
        return committed
    }

    /// Deletes files a purge left behind: an export's shards the version in place does not list,
    /// partial or staged files. Only names Consentry writes are touched.
    static func removeUnreferencedFiles(_ dataset: Dataset, keeping version: DatasetVersion) throws {
        let manifest = try DatasetManifest.parse(version.manifestJSON, source: "dataset \(dataset.id) v\(version.version)")
        let directory = Self.directory(of: dataset)
        let kept = Set(manifest.files.map(\.name))
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed = false
        for entry in entries {
            let ours: Bool
            switch dataset.kind {
            case .export:
                ours = (entry.hasPrefix("part-") || entry.hasPrefix(".part-") || entry.hasPrefix(".manifest.json.partial-"))
                    && !kept.contains(entry)
            case .filter:
                let base = URL(fileURLWithPath: dataset.location).lastPathComponent
                ours = entry.hasPrefix("." + base + ".v") || entry.hasPrefix(".." + base + ".v")
                    || entry.hasPrefix("." + base + ".partial-")
                    || entry.hasPrefix("." + base + ".manifest.json.partial-")
            }
            if ours {
                unlink(directory + "/" + entry)
                removed = true
            }
        }
        if removed { syncDirectory(of: directory + "/manifest.json") }
    }
}
