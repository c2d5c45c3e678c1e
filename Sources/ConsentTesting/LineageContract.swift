import ConsentCore
import ConsentFormats
import Foundation

/// What every ``LineageStore`` must do with datasets, purges, models and lineage, run against
/// each backend like ``StoreContract``. Each check gets a fresh, empty store.
public enum LineageContract {
    public typealias Check = @Sendable (any LineageStore) async throws -> Void

    public static let checks: [(name: String, run: Check)] = [
        ("aDatasetIsRegisteredWithItsMembersOrNotAtAll", aDatasetIsRegisteredWithItsMembersOrNotAtAll),
        ("aCommittedPurgeRemovesMembersAndCompletesObjections", aCommittedPurgeRemovesMembersAndCompletesObjections),
        ("anAbandonedPurgeChangesNothing", anAbandonedPurgeChangesNothing),
        ("modelsNameTheVersionsTheyWereTrainedOn", modelsNameTheVersionsTheyWereTrainedOn),
        ("aDatasetHoldingAnUpheldObjectorIsNeverRegistered", aDatasetHoldingAnUpheldObjectorIsNeverRegistered),
    ]

    static let t0 = StoreContract.t0
    static func expect(_ condition: Bool, _ message: @autoclosure () -> String, file: String = #fileID, line: Int = #line) throws {
        try StoreContract.expect(condition, message(), file: file, line: line)
    }
    static let manifest = #"{"format":"test"}"#
    static let manifestSHA = String(repeating: "a", count: 64)

    static func seeded(_ store: any LineageStore, members: [String]) async throws {
        try await store.applyPolicy(try StoreContract.policy(), actor: "test")
        let records = members.map { MemberRecord(member: Member(id: MemberID($0)!, birthDate: CivilDate(year: 1980, month: 1, day: 1),
                                                                country: CountryCode("DE")!)) }
        _ = try await store.importMembers(StoreContract.lines(records), options: ImportOptions(source: "test", actor: "test"))
    }

    static func dataset(_ id: String, records: Int = 3) -> NewDataset {
        NewDataset(id: DatasetID(rawValue: id), name: "name-" + id, kind: .export, location: "/data/" + id, memberField: "member",
                   asOf: t0, policyVersion: "2025-11-03", policySHA256: nil, manifestJSON: manifest, manifestSHA256: manifestSHA,
                   records: records)
    }

    static func version(_ number: Int, records: Int) -> DatasetVersion {
        DatasetVersion(version: number, state: .pending, createdAt: t0.addingTimeInterval(Double(number)), manifestJSON: manifest,
                       manifestSHA256: String(repeating: "b", count: 64), records: records, removedMembers: 1)
    }

    static func ids(_ names: [String]) -> [MemberID] { names.map { MemberID($0)! } }

    static func aDatasetIsRegisteredWithItsMembersOrNotAtAll(_ store: any LineageStore) async throws {
        try await seeded(store, members: ["a", "b", "c"])
        try await StoreContract.expectThrows({ $0 == .unknownMember(MemberID("ghost")!) }, "a dataset naming an unknown member") {
            try await store.registerDataset(dataset("ds_1"), members: ids(["a", "ghost"]), actor: "test")
        }
        try expect(try await store.datasets().isEmpty, "nothing was registered")
        try await store.registerDataset(dataset("ds_1"), members: ids(["c", "a"]), actor: "test")
        try await StoreContract.expectThrows({ if case .lineageConflict = $0 { true } else { false } }, "the same id twice") {
            try await store.registerDataset(dataset("ds_1"), members: ids(["b"]), actor: "test")
        }
        let stored = try await store.dataset(DatasetID(rawValue: "ds_1"))
        try expect(stored?.members == 2 && stored?.current?.version == 1 && stored?.current?.records == 3
                   && stored?.location == "/data/ds_1" && stored?.pending == nil, "the dataset and its first version: \(String(describing: stored))")
        try expect(try await store.members(of: DatasetID(rawValue: "ds_1")) == ids(["a", "c"]), "members in id order")
        let lineage = try await store.lineage(of: MemberID("a")!)
        try expect(lineage.heldBy.map(\.dataset.rawValue) == ["ds_1"] && lineage.models.isEmpty, "lineage of a member")
        try expect(try await store.lineage(of: MemberID("b")!).datasets.isEmpty, "b is in no dataset")
    }

    static func aCommittedPurgeRemovesMembersAndCompletesObjections(_ store: any LineageStore) async throws {
        try await seeded(store, members: ["a", "b", "c"])
        try await store.registerDataset(dataset("ds_1"), members: ids(["a", "b"]), actor: "test")
        try await store.registerDataset(dataset("ds_2"), members: ids(["a"]), actor: "test")
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        let objection = Objection.file(id: ObjectionID(rawValue: "obj_a"), member: MemberID("a")!, at: t0, reason: nil, terms: terms)
        try await store.fileObjection(objection, actor: "a")
        _ = try await store.updateObjection(objection.id, actor: "privacy") { try $0.deciding(.uphold, reason: "yes", at: t0) }

        try await store.beginPurge(of: DatasetID(rawValue: "ds_1"), version: version(2, records: 2), removing: ids(["a"]), actor: "test")
        try await StoreContract.expectThrows({ if case .lineageConflict = $0 { true } else { false } }, "a second pending purge") {
            try await store.beginPurge(of: DatasetID(rawValue: "ds_1"), version: version(3, records: 1), removing: ids(["b"]), actor: "test")
        }
        try expect(try await store.members(of: DatasetID(rawValue: "ds_1")) == ids(["a", "b"]), "pending removes nobody yet")
        try expect(try await store.dataset(DatasetID(rawValue: "ds_1"))?.pending?.version == 2, "the pending version is visible")
        let none = try await store.finishPurge(of: DatasetID(rawValue: "ds_1"), version: 2, committed: true, actor: "test")
        try expect(none.isEmpty, "a is still in ds_2: the objection is not complete")
        try expect(try await store.members(of: DatasetID(rawValue: "ds_1")) == ids(["b"]), "a removed from ds_1")
        try expect(try await store.objection(objection.id)?.status == .upheld, "still upheld")
        let lineage = try await store.lineage(of: MemberID("a")!)
        try expect(lineage.datasets.first { $0.dataset.rawValue == "ds_1" }?.removedInVersion == 2
                   && lineage.heldBy.map(\.dataset.rawValue) == ["ds_2"], "lineage shows the removal")

        try await store.beginPurge(of: DatasetID(rawValue: "ds_2"), version: version(2, records: 0), removing: ids(["a"]), actor: "test")
        let done = try await store.finishPurge(of: DatasetID(rawValue: "ds_2"), version: 2, committed: true, actor: "test")
        try expect(done == [objection.id], "the objection completes once no dataset holds a")
        try expect(try await store.objection(objection.id)?.status == .completed, "completed")
        try expect(try await store.completeObjections(actor: "test").isEmpty, "nothing left to complete")
        try await StoreContract.expectThrows({ if case .lineageConflict = $0 { true } else { false } }, "settling twice") {
            try await store.finishPurge(of: DatasetID(rawValue: "ds_2"), version: 2, committed: true, actor: "test")
        }
        _ = try await store.verifyAuditChain()
    }

    static func anAbandonedPurgeChangesNothing(_ store: any LineageStore) async throws {
        try await seeded(store, members: ["a", "b"])
        try await store.registerDataset(dataset("ds_1"), members: ids(["a", "b"]), actor: "test")
        try await store.beginPurge(of: DatasetID(rawValue: "ds_1"), version: version(2, records: 1), removing: ids(["a"]), actor: "test")
        _ = try await store.finishPurge(of: DatasetID(rawValue: "ds_1"), version: 2, committed: false, actor: "test")
        let stored = try await store.dataset(DatasetID(rawValue: "ds_1"))
        try expect(stored?.current?.version == 1 && stored?.pending == nil && stored?.versions.last?.state == .abandoned,
                   "version 1 stays in place")
        try expect(try await store.members(of: DatasetID(rawValue: "ds_1")) == ids(["a", "b"]), "nobody removed")
        try await StoreContract.expectThrows({ if case .lineageConflict = $0 { true } else { false } }, "reusing the abandoned number") {
            try await store.beginPurge(of: DatasetID(rawValue: "ds_1"), version: version(2, records: 1), removing: ids(["a"]), actor: "test")
        }
        try await store.beginPurge(of: DatasetID(rawValue: "ds_1"), version: version(3, records: 1), removing: ids(["a"]), actor: "test")
    }

    static func modelsNameTheVersionsTheyWereTrainedOn(_ store: any LineageStore) async throws {
        try await seeded(store, members: ["a", "b"])
        try await store.registerDataset(dataset("ds_1"), members: ids(["a", "b"]), actor: "test")
        try await StoreContract.expectThrows({ $0 == .unknownDataset(DatasetID(rawValue: "ds_x")) }, "an unknown dataset") {
            try await store.registerModel(name: "m", datasets: [DatasetID(rawValue: "ds_x")], actor: "test")
        }
        let model = try await store.registerModel(name: "m", datasets: [DatasetID(rawValue: "ds_1")], actor: "test")
        try expect(model.sources == [.init(dataset: DatasetID(rawValue: "ds_1"), version: 1)], "trained on version 1")
        try await StoreContract.expectThrows({ if case .lineageConflict = $0 { true } else { false } }, "a taken name") {
            try await store.registerModel(name: "m", datasets: [DatasetID(rawValue: "ds_1")], actor: "test")
        }
        try await store.beginPurge(of: DatasetID(rawValue: "ds_1"), version: version(2, records: 1), removing: ids(["a"]), actor: "test")
        _ = try await store.finishPurge(of: DatasetID(rawValue: "ds_1"), version: 2, committed: true, actor: "test")
        let later = try await store.registerModel(name: "m2", datasets: [DatasetID(rawValue: "ds_1")], actor: "test")
        try expect(later.sources.first?.version == 2, "a later model is trained on version 2")
        let models = try await store.models()
        try expect(models.map(\.name) == ["m", "m2"], "models in registration order")
        try expect(models[0].containsRemovedData && models[0].removedMembers == 1, "m holds a's removed data")
        try expect(!models[1].containsRemovedData, "m2 never saw a")
        let lineage = try await store.lineage(of: MemberID("a")!)
        try expect(lineage.models.map(\.model) == ["m"] && lineage.models[0].trainedBeforeRemoval, "a's data is in m only")
    }

    static func aDatasetHoldingAnUpheldObjectorIsNeverRegistered(_ store: any LineageStore) async throws {
        try await seeded(store, members: ["a", "b", "c"])
        try await store.registerDataset(dataset("ds_1"), members: ids(["a", "b"]), actor: "test")
        let terms = ObjectionTerms(response: .months(1), maxExtension: .months(2))
        let objection = Objection.file(id: ObjectionID(rawValue: "obj_a"), member: MemberID("a")!, at: t0, reason: nil, terms: terms)
        try await store.fileObjection(objection, actor: "a")
        try expect(try await store.heldObjectors().isEmpty, "a pending objection owes no erasure yet")
        let upheld = try await store.decideObjection(objection.id, outcome: .uphold, reason: "Upheld.", at: t0, actor: "privacy")
        try expect(upheld.status == .upheld, "held by ds_1: not complete")
        try expect(try await store.heldObjectors() == [HeldObjector(dataset: DatasetID(rawValue: "ds_1"), member: MemberID("a")!,
                                                                     objection: objection.id, completed: false)], "ds_1 holds a")
        try await StoreContract.expectThrows({ error in
            if case .lineageConflict(let message) = error { message.contains("holds 1 member whose objection was upheld: a (objection obj_a upheld)") } else { false }
        }, "a new dataset holding a") {
            try await store.registerDataset(dataset("ds_2"), members: ids(["c", "a"]), actor: "test")
        }
        try expect(try await store.dataset(DatasetID(rawValue: "ds_2")) == nil, "nothing of it was registered")
        try await store.registerDataset(dataset("ds_3"), members: ids(["c", "b"]), actor: "test")
        try expect(try await store.datasets().map(\.id.rawValue) == ["ds_1", "ds_3"], "a dataset without objectors is registered")
    }
}
