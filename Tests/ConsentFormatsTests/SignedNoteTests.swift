import ConsentFormats
import Foundation
import Testing

/// C2SP signed notes and checkpoints with Ed25519.
struct SignedNoteTests {
    /// The example key and note of Go's golang.org/x/mod/sumdb/note tests.
    static let signerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let verifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let signed = text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    @Test func signsAsTheReferenceImplementationDoes() throws {
        let signer = try NoteSigner(signerKey: Self.signerKey)
        #expect(signer.verifier.verifierKey == Self.verifierKey && signer.signerKey == Self.signerKey)
        #expect(try SignedNote.sign(Self.text, by: signer) == Self.signed, "Ed25519 signatures are deterministic")
        #expect(try SignedNote.open(Self.signed, verifier: try NoteVerifier(verifierKey: Self.verifierKey)) == Self.text)
    }

    @Test func anAlteredCutOrForeignNoteIsRefused() throws {
        let signer = try NoteSigner.generate(name: "consentry.test/log")
        let verifier = try NoteVerifier(verifierKey: signer.verifier.verifierKey)
        let note = try SignedNote.sign(Checkpoint(origin: "consentry.test/log", size: 3, root: MerkleTree.emptyRoot).text, by: signer)
        #expect(try Checkpoint.open(note, verifier: verifier, origin: "consentry.test/log").size == 3)
        #expect(throws: NoteError.self) { try Checkpoint.open(note, verifier: verifier, origin: "another/log") }
        #expect(throws: NoteError.self) { try SignedNote.open(note.replacingOccurrences(of: "\n3\n", with: "\n4\n"), verifier: verifier) }
        for cut in 1..<note.utf8.count {
            let prefix = String(decoding: note.utf8.prefix(cut), as: UTF8.self)
            #expect(throws: NoteError.self, "cut at \(cut)") { try SignedNote.open(prefix, verifier: verifier) }
        }
        let other = try NoteSigner.generate(name: "consentry.test/log")
        #expect(throws: NoteError.notVerified("no signature of consentry.test/log")) {
            try SignedNote.open(try SignedNote.sign("text\n", by: other), verifier: verifier)
        }
        // Another key's signature beside the trusted one is ignored.
        let cosigned = note + "— witness.example/w " + Data(repeating: 7, count: 68).base64EncodedString() + "\n"
        #expect(try SignedNote.open(cosigned, verifier: verifier) == Checkpoint(origin: "consentry.test/log", size: 3, root: MerkleTree.emptyRoot).text)
    }

    @Test func badKeysAreRefusedWithoutEchoingThem() {
        for text in ["", "PRIVATE+KEY+name+00000000+AAAA", "name+00000000+AAAA", "PRIVATE+KEY+na me+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
                     Self.signerKey.replacingOccurrences(of: "c74f20a3", with: "c74f20a4")] {
            #expect(throws: NoteError.self) { try NoteSigner(signerKey: text) }
        }
        #expect(throws: NoteError.self) { try NoteVerifier(verifierKey: Self.verifierKey.replacingOccurrences(of: "c74f20a3", with: "00000000")) }
    }
}
