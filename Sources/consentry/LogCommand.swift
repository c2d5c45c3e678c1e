import ArgumentParser
import ConsentCore
import ConsentFormats
import Foundation
import TrainingGate
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "The transparency log: signed checkpoints, consistency proofs, a witness, and members' receipts.",
        discussion: """
            Every audit entry is a leaf of one RFC 9162 Merkle tree, in order. Its head is published as a \
            C2SP checkpoint signed with Ed25519; anyone holding the verifier key can check that a later \
            checkpoint extends an earlier one, so history cannot be rewritten unnoticed.

              consentry log init --name consentry.example/log --out log.key
              CONSENTRY_LOG_KEY_FILE=log.key consentry log checkpoint
              consentry log witness --url http://127.0.0.1:8080 --key "$(cat log.pub)" --state witness.txt
            """,
        subcommands: [Init.self, Checkpoint_.self, ProveConsistency.self, Witness.self, ReceiptCommand.self]
    )

    /// The log key: `--key-file`, else `CONSENTRY_LOG_KEY` or `CONSENTRY_LOG_KEY_FILE`.
    struct KeyOptions: ParsableArguments {
        @Option(help: ArgumentHelp("The signer key file made by `consentry log init` (default: env CONSENTRY_LOG_KEY or CONSENTRY_LOG_KEY_FILE).",
                                   valueName: "file"))
        var keyFile: String?

        func signer() throws -> LogSigner {
            if let keyFile { return try LogSigner.load(path: keyFile) }
            guard let signer = try LogSigner.fromEnvironment() else {
                throw ValidationError("no log key: give --key-file FILE, or set CONSENTRY_LOG_KEY or CONSENTRY_LOG_KEY_FILE (make one with `consentry log init`)")
            }
            return signer
        }
    }

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a log signing key in a new file (mode 0600) and print its verifier key.",
            discussion: "The verifier key (NAME+HASH+KEY) is public: give it to witnesses and auditors. The key file is secret."
        )

        @Option(help: "The log's name, used as the checkpoints' origin line: a schema-less URL such as consentry.example/log.")
        var name: String
        @Option(name: .long, help: ArgumentHelp("The key file to create (refused if it exists).", valueName: "file"))
        var out: String

        func run() throws {
            let signer = try NoteSigner.generate(name: name)
            let descriptor = open(out, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
            guard descriptor >= 0 else {
                throw ValidationError("cannot create \(out): \(String(cString: strerror(errno))) (a key file is never overwritten)")
            }
            let text = Array((signer.signerKey + "\n").utf8)
            let written = text.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor)
            close(descriptor)
            guard written == text.count, synced == 0 else { throw ValidationError("cannot write \(out): \(String(cString: strerror(errno)))") }
            print(signer.verifier.verifierKey)
        }
    }

    struct Checkpoint_: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Print the signed checkpoint of the log as it is now (a C2SP signed note)."
        )

        @OptionGroup var store: StoreOptions
        @OptionGroup var key: KeyOptions

        func run() async throws {
            let signer = try key.signer()
            print(try signer.sign(signer.checkpoint(of: try await store.openExisting().logLeafHashes())), terminator: "")
        }
    }

    struct ProveConsistency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prove-consistency",
            abstract: "Print the RFC 9162 proof that the log of size --first is a prefix of the log of size --second (default: now)."
        )

        @OptionGroup var store: StoreOptions
        @Option(help: "The earlier tree size.") var first: Int
        @Option(help: "The later tree size (default: the log's size now).") var second: Int?

        func run() async throws {
            let leaves = try await store.openExisting().logLeafHashes()
            let second = self.second ?? leaves.count
            guard first >= 0, first <= second, second <= leaves.count else {
                throw ValidationError("need 0 ≤ --first ≤ --second ≤ \(leaves.count) (the log's size)")
            }
            print(ConsistencyProofJSON.encode(first: first, second: second, proof: MerkleTree.consistencyProof(first: first, leaves: leaves[..<second])))
        }
    }

    struct Witness: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the log's checkpoint, check it extends the last one seen, and remember it; exit 1 if history was rewritten.",
            discussion: """
                Fetches URL/log/v1/checkpoint, verifies its signature with --key, and when --state holds an \
                earlier checkpoint, fetches and checks the consistency proof between the two: a log whose \
                operator changed, removed or reordered anything already published fails here. The new \
                checkpoint is then written to --state. Run it from cron, somewhere the operator does not control.
                """
        )

        @Option(help: "The Consentry server, e.g. https://consentry.example.") var url: String
        @Option(help: "The log's verifier key (NAME+HASH+KEY), as `consentry log init` printed it.") var key: String
        @Option(help: ArgumentHelp("Where the last checkpoint seen is kept.", valueName: "file")) var state: String

        func run() async throws {
            let verifier = try NoteVerifier(verifierKey: key)
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            let note = try await Self.get(base + "/log/v1/checkpoint")
            let latest = try Checkpoint.open(note, verifier: verifier, origin: verifier.name)
            if let saved = try? String(contentsOfFile: state, encoding: .utf8) {
                let previous = try Checkpoint.open(saved, verifier: verifier, origin: verifier.name)
                guard previous.size <= latest.size else {
                    throw Rewritten(message: "the log shrank from \(previous.size) to \(latest.size) entries")
                }
                if previous.size == latest.size {
                    guard previous.root == latest.root else { throw Rewritten(message: "the tree of \(latest.size) entries has another head than before") }
                } else if previous.size > 0 {
                    let proof = try ConsistencyProofJSON.decode(try await Self.get(
                        base + "/log/v1/proof/consistency?first=\(previous.size)&second=\(latest.size)"))
                    guard proof.first == previous.size, proof.second == latest.size,
                          MerkleTree.verifyConsistency(first: previous.size, second: latest.size, firstRoot: previous.root,
                                                       secondRoot: latest.root, proof: proof.proof) else {
                        throw Rewritten(message: "checkpoint \(latest.size) does not extend checkpoint \(previous.size): entries already published were changed")
                    }
                }
                print("witness: \(verifier.name) grew from \(previous.size) to \(latest.size) entries, consistently")
            } else {
                print("witness: \(verifier.name) has \(latest.size) entries; remembered as the first checkpoint")
            }
            try AtomicFile.write(note, to: state)
        }

        struct Rewritten: Error, CustomStringConvertible {
            var message: String
            var description: String { "the log's history was rewritten: \(message)" }
        }

        static func get(_ url: String) async throws -> String {
            guard let address = URL(string: url) else { throw ValidationError("\(url) is not a URL") }
            let (data, response) = try await URLSession.shared.data(from: address)
            guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
                throw ValidationError("\(url) answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}

struct ReceiptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "receipt",
        abstract: "Check a member's receipt offline.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify a receipt (from /api/v1/me/ai-training/receipts/N or /api/v1/me/objections/ID/receipt) against the log's verifier key; print the fact it proves.",
            discussion: """
                Checks the checkpoint's Ed25519 signature and the RFC 9162 inclusion proof of the leaf in the \
                tree the checkpoint signs. Needs nothing but the file and the key; exit 1 when it does not verify.

                  consentry log receipt verify consentry-receipt-9.json --key consentry.example/log+1a2b3c4d+AbV…
                """
        )

        @Argument(help: "The receipt file.") var file: String
        @Option(help: "The log's verifier key (NAME+HASH+KEY).") var key: String

        func run() throws {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw ValidationError("cannot read \(file)") }
            let checked = try Receipt.verify(text, verifier: try NoteVerifier(verifierKey: key))
            print("receipt ok: entry \(checked.index + 1) of \(checked.checkpoint.size) in \(checked.checkpoint.origin)")
            print(checked.leaf)
        }
    }
}
