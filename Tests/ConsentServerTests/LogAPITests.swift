import ConsentCore
import ConsentFormats
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Checkpoints, consistency proofs and members' receipts over HTTP.
struct LogAPITests {
    @Test func aMemberGetsAReceiptForTheirOwnChoiceOnlyAndItVerifiesOffline() async throws {
        let harness = try await Harness()
        let eu = MemberID("urn:li:member:eu")!, ca = MemberID("urn:li:member:ca")!
        let own = try await harness.store.recordChoice(ConsentEvent(member: eu, choice: .off, channel: .ios, at: Harness.now, actor: eu.rawValue))
        let other = try await harness.store.recordChoice(ConsentEvent(member: ca, choice: .on, channel: .web, at: Harness.now, actor: ca.rawValue))
        let objection = Objection.file(id: .random(), member: eu, at: Harness.now, reason: nil, terms: ObjectionTerms(response: .months(1), maxExtension: .months(2)))
        try await harness.store.fileObjection(objection, actor: eu.rawValue)
        let token = try await harness.token(eu.rawValue)
        let verifier = Harness.logSigner.signer.verifier
        try await harness.app.test(.router) { client in
            let receipt = try await client.execute(uri: "/api/v1/me/ai-training/receipts/\(own.sequence!)", method: .get, headers: headers(token)) { response in
                #expect(response.status == .ok && response.headers[.contentDisposition]?.contains("attachment") == true)
                return String(buffer: response.body)
            }
            let checked = try Receipt.verify(receipt, verifier: verifier)
            #expect(checked.leaf.contains(#""type":"choice_recorded""#) && checked.leaf.contains(#""choice":"off""#)
                    && checked.leaf.contains(#""subject":"urn:li:member:eu""#))
            // One flipped byte anywhere that matters, and the receipt no longer verifies.
            for (from, to) in [(#"\"choice\":\"off\""#, #"\"choice\":\"on\""#), (#""index":"#, #""index":1"#)] {
                let altered = receipt.replacingOccurrences(of: from, with: to)
                #expect(altered != receipt)
                #expect(throws: NoteError.self) { try Receipt.verify(altered, verifier: verifier) }
            }
            // Another member's choice, a sequence that does not exist, another's objection: not found alike.
            for uri in ["/api/v1/me/ai-training/receipts/\(other.sequence!)", "/api/v1/me/ai-training/receipts/999999",
                        "/api/v1/me/ai-training/receipts/abc"] {
                try await client.execute(uri: uri, method: .get, headers: headers(token)) { #expect($0.status == .notFound, "\(uri)") }
            }
            let objectionReceipt = try await client.execute(uri: "/api/v1/me/objections/\(objection.id)/receipt", method: .get,
                                                            headers: headers(token)) { String(buffer: $0.body) }
            #expect(try Receipt.verify(objectionReceipt, verifier: verifier).leaf.contains(#""type":"objection_filed""#))
            let caToken = try await harness.token(ca.rawValue)
            try await client.execute(uri: "/api/v1/me/objections/\(objection.id)/receipt", method: .get, headers: headers(caToken)) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/me/ai-training/receipts/\(own.sequence!)", method: .get) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func thePagesLinkEachChoiceToItsReceipt() async throws {
        let harness = try await Harness()
        let eu = MemberID("urn:li:member:eu")!
        let own = try await harness.store.recordChoice(ConsentEvent(member: eu, choice: .off, channel: .web, at: Harness.now, actor: eu.rawValue))
        try await harness.app.test(.router) { client in
            let cookie = try await WebPagesTests().signIn(client, harness, as: eu.rawValue)
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get, headers: [.cookie: cookie]) { response in
                #expect(String(buffer: response.body).contains(#"href="/settings/data-privacy/generative-ai/receipts/\#(own.sequence!)" download"#))
            }
            let receipt = try await client.execute(uri: "/settings/data-privacy/generative-ai/receipts/\(own.sequence!)", method: .get,
                                                   headers: [.cookie: cookie]) { String(buffer: $0.body) }
            #expect(try Receipt.verify(receipt, verifier: Harness.logSigner.signer.verifier).leaf.contains(#""choice":"off""#))
            try await client.execute(uri: "/settings/data-privacy/generative-ai/receipts/\(own.sequence!)", method: .get) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func refreshesRacingEachOtherKeepEveryLeafOnce() async throws {
        let harness = try await Harness()
        let cache = LogTreeCache(store: harness.store)
        async let first = cache.refresh()
        async let second = cache.refresh()
        _ = try await (first, second)
        _ = try await harness.store.recordChoice(ConsentEvent(member: MemberID("urn:li:member:eu")!, choice: .on, channel: .web,
                                                              at: Harness.now, actor: "urn:li:member:eu"))
        async let third = cache.refresh()
        async let fourth = cache.refresh()
        _ = try await (third, fourth)
        var all: [TreeHash] = []
        try await harness.store.auditEntries(from: nil, to: nil) { all.append(LogTree.leafHash($0)) }
        let (leaves, root) = (await cache.leaves, await cache.root)
        #expect(leaves == all && root == MerkleTree.root(all))
    }

    @Test func aSignedExclusionListVerifiesAndAnEditedOneDoesNot() async throws {
        let harness = try await Harness()
        let pipeline = try await harness.token("etl", role: .pipeline)
        let verifier = Harness.logSigner.signer.verifier
        try await harness.app.test(.router) { client in
            let plain = try await client.execute(uri: "/api/v1/exclusions?as_of=2026-01-01", method: .get, headers: headers(pipeline)) {
                String(buffer: $0.body)
            }
            let signed = try await client.execute(uri: "/api/v1/exclusions?as_of=2026-01-01&signed=true", method: .get, headers: headers(pipeline)) {
                String(buffer: $0.body)
            }
            let bytes = Array(signed.utf8)
            let opened = try bytes.withUnsafeBufferPointer { try SignedExclusions.open($0, verifier: verifier) }
            let ids = opened.ids.map { String(decoding: bytes[$0], as: UTF8.self) }
            #expect(ids == plain.split(separator: "\n").map(String.init) && !ids.isEmpty)
            #expect(opened.asOf == Timestamp.parse("2026-01-01")! && opened.log.size > 0)
            // One id fewer, or the list cut short: refused.
            let edited = Array(signed.replacingOccurrences(of: ids[0] + "\n", with: "").utf8)
            #expect(throws: NoteError.self) { try edited.withUnsafeBufferPointer { try SignedExclusions.open($0, verifier: verifier) } }
            try await client.execute(uri: "/api/v1/exclusions?signed=maybe", method: .get, headers: headers(pipeline)) {
                #expect($0.status == .badRequest)
            }
            for cut in [bytes.count - 1, bytes.count / 2, 40] {
                #expect(throws: NoteError.self) { try Array(bytes.prefix(cut)).withUnsafeBufferPointer { try SignedExclusions.open($0, verifier: verifier) } }
            }
        }
    }

    @Test func whileFactsArriveACheckpointIsSignedAndPublishedUnasked() async throws {
        let harness = try await Harness()
        let file = harness.directory.appendingPathComponent("checkpoint").path
        let app = try buildApplication(store: harness.store, identity: harness.identity,
                                       configuration: ServerConfiguration(port: 0, checkpointInterval: .milliseconds(100), checkpointFile: file),
                                       sessionSecret: Harness.secret, logSigner: Harness.logSigner)
        /// The published checkpoint once it covers the whole log (nil if it does not within 10 s).
        @Sendable func published() async throws -> Checkpoint? {
            var all: [TreeHash] = []
            try await harness.store.auditEntries(from: nil, to: nil) { all.append(LogTree.leafHash($0)) }
            for _ in 0..<100 {
                if let text = try? String(contentsOfFile: file, encoding: .utf8),
                   let checkpoint = try? Checkpoint.open(text, verifier: Harness.logSigner.signer.verifier, origin: "consentry.test/log"),
                   checkpoint.size == all.count {
                    #expect(checkpoint.root == MerkleTree.root(all))
                    return checkpoint
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            return nil
        }
        try await app.test(.live) { client in
            let first = try #require(try await published())
            // Nobody asks for a checkpoint: a new fact is still covered by one, signed and written.
            _ = try await harness.store.recordChoice(ConsentEvent(member: MemberID("urn:li:member:eu")!, choice: .off, channel: .web,
                                                                  at: Harness.now, actor: "urn:li:member:eu"))
            let second = try #require(try await published())
            #expect(second.size == first.size + 1)
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("consentry_log_checkpoint_size \(second.size)"))
        }
    }

    @Test func checkpointsAreSignedAndProofsLinkThem() async throws {
        let harness = try await Harness()
        let verifier = Harness.logSigner.signer.verifier
        try await harness.app.test(.router) { client in
            let first = try Checkpoint.open(try await client.execute(uri: "/log/v1/checkpoint", method: .get) { String(buffer: $0.body) },
                                            verifier: verifier, origin: "consentry.test/log")
            _ = try await harness.store.recordChoice(ConsentEvent(member: MemberID("urn:li:member:eu")!, choice: .off, channel: .web,
                                                                  at: Harness.now, actor: "urn:li:member:eu"))
            let second = try Checkpoint.open(try await client.execute(uri: "/log/v1/checkpoint", method: .get) { String(buffer: $0.body) },
                                             verifier: verifier)
            #expect(second.size == first.size + 1)
            let proof = try ConsistencyProofJSON.decode(try await client.execute(
                uri: "/log/v1/proof/consistency?first=\(first.size)&second=\(second.size)", method: .get) { String(buffer: $0.body) })
            #expect(MerkleTree.verifyConsistency(first: first.size, second: second.size, firstRoot: first.root, secondRoot: second.root, proof: proof.proof))
            try await client.execute(uri: "/log/v1/proof/consistency?first=5&second=\(second.size + 1)", method: .get) { #expect($0.status == .notFound) }
        }
    }
}
