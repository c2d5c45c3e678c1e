import ConsentCore
import ConsentFormats
import ConsentSQLite
import ConsentTesting
import Foundation
import Testing
@testable import TrainingGate

/// Snapshots carry the store's decisions faithfully, and refuse to be used when damaged.
struct SnapshotTests {
    static let asOf = Timestamp.parse("2026-03-01T00:00:00Z")!

    func seededStore(_ scratch: FilterTests.Scratch, members: Int = 400) async throws -> SQLiteConsentStore {
        let store = try SQLiteConsentStore(path: scratch.path("store.sqlite"))
        try await DemoData.seed(store, population: SyntheticPopulation(seed: 7, count: members))
        return store
    }

    @Test func aSnapshotHoldsTheStoresDecisionsForEveryMember() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await seededStore(scratch)
        let version = try #require(try await store.activePolicy())
        let view = try await store.decisionView(now: Date())
        let fromStore = try await GateSources.decisions(from: store, asOf: Self.asOf, now: view.moment)
        let (header, files) = try SnapshotFile.write(view, asOf: Self.asOf, to: scratch.path("snap.tsv"))
        let (read, fromFile) = try SnapshotFile.read(path: scratch.path("snap.tsv"))
        #expect(read == header && read.members == 400 && files.map(\.path) == [scratch.path("snap.tsv")] && files[0].sha256.count == 64)
        #expect(fromFile.asOf == Self.asOf && fromFile.decidedAt == view.moment && fromFile.policyVersion == version.policy.version)
        var reasons = Set<DropReason?>()
        for member in view.snapshot.members {
            // Usable only when eligible at as-of and now: the member's reason is the first that excludes.
            let then = try await store.decision(for: member.id, policy: version.policy, at: Self.asOf)
            let now = try await store.decision(for: member.id, policy: version.policy, at: view.moment)
            let drop = !then.eligible ? DropReason(excludedBecause: then.reason) : !now.eligible ? DropReason(excludedBecause: now.reason) : nil
            let expected = GateVerdict(drop: drop, usableFromMicros: member.birthDate?.comingOfAge(version.policy.minimumAge).startOfDayMicroseconds ?? .min)
            #expect(fromStore.table.verdict(member.id.rawValue) == expected)
            #expect(fromFile.table.verdict(member.id.rawValue) == expected)
            reasons.insert(expected.drop)
        }
        #expect(reasons.count >= 5, "the population should exercise several reasons")
        #expect(fromFile.table.verdict("urn:li:member:999999") == nil)
    }

    /// Shards split the members by the documented hash, each a whole file; together they hold
    /// exactly the rows of the whole snapshot, and the filter refuses a shard on its own.
    @Test func shardsSplitTheMembersByTheHashOfTheirId() async throws {
        // Independent values, from Python: int(hashlib.sha256(id.encode()).hexdigest()[:15], 16) % N.
        #expect(SnapshotFile.shard(of: "urn:li:member:1", count: 4) == 1 && SnapshotFile.shard(of: "urn:li:member:1", count: 64) == 29)
        #expect(SnapshotFile.shard(of: "m0", count: 4) == 3 && SnapshotFile.shard(of: "7", count: 64) == 40)
        #expect(SnapshotFile.shardPath("/d/snap.tsv", index: 2, count: 4) == "/d/snap.2-of-4.tsv")
        #expect(SnapshotFile.shardPath("/d/snap", index: 0, count: 2) == "/d/snap.0-of-2")
        let scratch = FilterTests.Scratch()
        let store = try await seededStore(scratch)
        let view = try await store.decisionView(now: Date())
        let (_, whole) = try SnapshotFile.write(view, asOf: Self.asOf, to: scratch.path("snap.tsv"))
        let (header, shards) = try SnapshotFile.write(view, asOf: Self.asOf, to: scratch.path("snap.tsv"), shards: 4)
        #expect(header.members == 400 && shards.map(\.path) == (0..<4).map { scratch.path("snap.\($0)-of-4.tsv") })
        func rows(_ path: String) -> [Substring] {
            String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
                .split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.hasPrefix("member\t") }
        }
        var union: [Substring] = []
        for (index, shard) in shards.enumerated() {
            let text = String(decoding: FileManager.default.contents(atPath: shard.path) ?? Data(), as: UTF8.self)
            #expect(text.contains("\n# shard\t\(index)/4\n") && text.contains("\n# members\t\(rows(shard.path).count)\n"))
            #expect(rows(shard.path).allSatisfy { SnapshotFile.shard(of: String($0.prefix { $0 != "\t" }), count: 4) == index })
            union += rows(shard.path)
            #expect(performing: { try SnapshotFile.read(path: shard.path) }, throws: { "\($0)".contains("it is shard \(index)/4 of a snapshot") })
        }
        #expect(union.sorted() == rows(whole[0].path).sorted() && union.count == 400)
    }

    /// Non-members' objections travel in the snapshot, so a worker drops the records naming them
    /// as the store would; a line that is not one is refused.
    @Test func aSnapshotCarriesTheObjectionsOfNonMembers() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await seededStore(scratch)
        let view = try await store.decisionView(now: Date())
        let objections = [ThirdPartyObjection(id: "obj_0000000000000001", identifiers: ["Sam\tDoe", "https://example.com/p/1"]),
                          ThirdPartyObjection(id: "obj_0000000000000002", identifiers: ["@jo"])]
        try SnapshotFile.write(view, asOf: Self.asOf, to: scratch.path("snap.tsv"), thirdParty: objections)
        #expect(try SnapshotFile.read(path: scratch.path("snap.tsv")).1.thirdParty == objections)
        let text = String(decoding: scratch.read("snap.tsv"), as: UTF8.self)
        #expect(text.contains("\n# third_party\tobj_0000000000000001\t[\"Sam\\tDoe\",\"https://example.com/p/1\"]\n"))
    }

    @Test func filteringWithTheStoreOrItsSnapshotKeepsTheSameRecords() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await seededStore(scratch)
        let version = try #require(try await store.activePolicy())
        let view = try await store.decisionView(now: Date())
        try SnapshotFile.write(view, asOf: Self.asOf, to: scratch.path("snap.tsv"))
        var lines = ""
        for index in 0..<3000 {
            let year = 2004 + index % 23
            lines += #"{"member_id": "urn:li:member:\#(index % 420 + 1)", "created_at": "\#(year)-0\#(index % 9 + 1)-15T08:00:00Z", "i": \#(index)}"# + "\n"
        }
        let input = scratch.write("posts.jsonl", lines)
        let options = FilterOptions(timeField: "created_at", category: .contentPosts, threads: 2, hashing: true, blockSize: 8192)
        let viaStore = try GateFilter.run(inputs: [input], output: scratch.path("a.jsonl"),
                                          decisions: try await GateSources.decisions(from: store, asOf: Self.asOf, now: view.moment), options: options)
        let viaSnapshot = try GateFilter.run(inputs: [input], output: scratch.path("b.jsonl"),
                                             decisions: try SnapshotFile.read(path: scratch.path("snap.tsv")).1, options: options)
        #expect(viaStore.outputSHA256 == viaSnapshot.outputSHA256 && viaStore.dropped == viaSnapshot.dropped)
        #expect(viaStore.dropped[.memberUnknown] ?? 0 > 0 && viaStore.dropped[.afterAsOf] ?? 0 > 0 && viaStore.kept > 0)
        // Every kept record's member is eligible in the store, and the record is from after they came of age.
        for line in String(decoding: scratch.read("a.jsonl"), as: UTF8.self).split(separator: "\n") {
            let id = String(line.split(separator: "\"")[3])
            let decision = try await store.decision(for: MemberID(id)!, policy: version.policy, at: Self.asOf)
            let now = try await store.decision(for: MemberID(id)!, policy: version.policy, at: view.moment)
            #expect(decision.eligible && now.eligible, "\(id) is \(decision.reason) then, \(now.reason) now, but a record of theirs was kept")
        }
    }

    @Test func aDamagedOrTruncatedSnapshotIsRefused() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await seededStore(scratch, members: 50)
        try SnapshotFile.write(try await store.decisionView(now: Date()), asOf: Self.asOf, to: scratch.path("snap.tsv"))
        var bytes = scratch.read("snap.tsv")
        let flipped = scratch.path("flipped.tsv")
        if let index = bytes.firstIndex(of: UInt8(ascii: "\t")) { bytes[index - 1] ^= 0x01 }
        _ = scratch.write("flipped.tsv", bytes)
        #expect(throws: GateError.badSource(flipped, "not a usable snapshot: its SHA-256 does not match the trailer (the file was altered or damaged)")) {
            try SnapshotFile.read(path: flipped)
        }
        // A row changed (its reason no longer one): the hash, checked while the rows are read,
        // is what is reported, not the row.
        var rowChanged = scratch.read("snap.tsv")
        let lastRow = try #require(rowChanged.lastIndex(of: UInt8(ascii: "#")))
        let reasonAt = try #require(rowChanged[..<lastRow].lastIndex(of: UInt8(ascii: "\t")).flatMap { tab in
            rowChanged[..<tab].lastIndex(of: UInt8(ascii: "\t")) })
        rowChanged[reasonAt + 1] ^= 0x01
        let changed = scratch.write("changed.tsv", rowChanged)
        #expect(throws: GateError.badSource(changed, "not a usable snapshot: its SHA-256 does not match the trailer (the file was altered or damaged)")) {
            try SnapshotFile.read(path: changed)
        }
        let truncated = scratch.write("truncated.tsv", Array(scratch.read("snap.tsv").dropLast(30)))
        #expect(throws: GateError.self) { try SnapshotFile.read(path: truncated) }
        let notOne = scratch.write("other.tsv", "member\teligible\n")
        #expect(throws: GateError.self) { try SnapshotFile.read(path: notOne) }
        // A version 1 file was decided at its as-of only: it could bring back who objected since.
        var old = String(decoding: scratch.read("snap.tsv"), as: UTF8.self).replacingOccurrences(of: "# consentry-snapshot 2", with: "# consentry-snapshot 1")
        old = String(old[..<old.range(of: "# sha256\t")!.lowerBound])
        let versionOne = scratch.write("v1.tsv", old + "# sha256\t" + Digest.sha256Hex(old) + "\n")
        #expect(throws: GateError.badSource(versionOne, "not a usable snapshot: it is a version 1 snapshot, decided at its as_of instant only; it could bring back a member who opted out or objected since. Make a new one with `consentry datasets snapshot`")) {
            try SnapshotFile.read(path: versionOne)
        }
        // A row that says something impossible, with a matching SHA-256 (made, not damaged), is
        // named by its line, in either half of the rows (they are read by two threads).
        let text = String(decoding: scratch.read("snap.tsv"), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let firstRow = try #require(lines.firstIndex(of: "member\teligible\treason\tusable_from")) + 1
        let trailer = try #require(lines.firstIndex { $0.hasPrefix("# sha256\t") })
        for row in [firstRow + 1, trailer - 2] {
            var edited = lines
            edited[row] = edited[row].replacingOccurrences(of: "\ttrue\t", with: "\tmaybe\t").replacingOccurrences(of: "\tfalse\t", with: "\tmaybe\t")
            let body = edited[..<trailer].joined(separator: "\n") + "\n"
            let made = scratch.write("made-\(row).tsv", body + "# sha256\t" + Digest.sha256Hex(body) + "\n")
            #expect(performing: { try SnapshotFile.read(path: made) },
                    throws: { "\($0)".contains("line \(row + 1): eligible contradicts reason") })
        }
    }

    @Test func aSignedSnapshotIsRefusedOnceEditedOrCutAnywhere() async throws {
        let scratch = FilterTests.Scratch()
        let store = try await seededStore(scratch, members: 30)
        let signer = LogSigner(try NoteSigner.generate(name: "consentry.test/log"))
        let leaves = try await store.logLeafHashes()
        let log = Checkpoint(origin: signer.origin, size: leaves.count, root: MerkleTree.root(leaves))
        try SnapshotFile.write(try await store.decisionView(now: Date()), asOf: Self.asOf, to: scratch.path("snap.tsv"), signedBy: signer, log: log)
        let verifier = signer.signer.verifier
        let (header, decisions) = try SnapshotFile.read(path: scratch.path("snap.tsv"), verifier: verifier)
        #expect(header.members == 30 && decisions.table.count == 30)
        let text = String(decoding: scratch.read("snap.tsv"), as: UTF8.self)
        #expect(text.contains("# log_size\t\(leaves.count)\n") && text.contains("# log_root\t\(log.root.base64)\n"))
        // Without a key it reads as any snapshot; with another key, unsigned, edited or cut, it is refused.
        _ = try SnapshotFile.read(path: scratch.path("snap.tsv"))
        let other = try NoteSigner.generate(name: "consentry.test/log").verifier
        #expect(throws: GateError.self) { try SnapshotFile.read(path: scratch.path("snap.tsv"), verifier: other) }
        try SnapshotFile.write(try await store.decisionView(now: Date()), asOf: Self.asOf, to: scratch.path("plain.tsv"))
        #expect(throws: GateError.self) { try SnapshotFile.read(path: scratch.path("plain.tsv"), verifier: verifier) }
        let bytes = scratch.read("snap.tsv")
        var edited = bytes
        edited[bytes.count / 2] ^= 0x01
        #expect(throws: GateError.self) { try SnapshotFile.read(path: scratch.write("edited.tsv", edited), verifier: verifier) }
        for cut in Array(stride(from: 1, to: bytes.count, by: 7)) + Array(max(1, bytes.count - 120)..<bytes.count) {
            let path = scratch.write("cut.tsv", Array(bytes.prefix(cut)))
            #expect(throws: GateError.self, "cut at \(cut)") { try SnapshotFile.read(path: path, verifier: verifier) }
        }
    }

    @Test func aSignedExclusionListIsCheckedBeforeItsIdsAreUsed() throws {
        let scratch = FilterTests.Scratch()
        let signer = LogSigner(try NoteSigner.generate(name: "consentry.test/log"))
        let log = Checkpoint(origin: signer.origin, size: 3, root: MerkleTree.emptyRoot)
        let text = try SignedExclusions.text(ids: ["urn:li:member:2", "# looks like a comment"], asOf: Self.asOf, decidedAt: Self.asOf,
                                             log: log, signer: signer)
        let path = scratch.write("excluded.txt", text)
        let verifier = signer.signer.verifier
        let decisions = try GateSources.exclusions(path: path, asOf: Self.asOf, verifier: verifier)
        #expect(decisions.table.count == 2 && decisions.table.verdict("# looks like a comment")?.drop == .excluded && decisions.decidedAt == Self.asOf)
        #expect(try GateSources.exclusions(path: path, asOf: Self.asOf).table.count == 2, "read without a key too")
        for cut in [text.utf8.count - 1, text.utf8.count - 80, 100] {
            let truncated = scratch.write("cut.txt", Array(text.utf8.prefix(cut)))
            #expect(throws: GateError.self, "cut at \(cut)") { try GateSources.exclusions(path: truncated, asOf: Self.asOf, verifier: verifier) }
        }
        let plain = scratch.write("plain.txt", "urn:li:member:2\n")
        #expect(throws: GateError.self) { try GateSources.exclusions(path: plain, asOf: Self.asOf, verifier: verifier) }
        let other = try NoteSigner.generate(name: "consentry.test/log").verifier
        #expect(throws: GateError.self) { try GateSources.exclusions(path: path, asOf: Self.asOf, verifier: other) }
    }
}
