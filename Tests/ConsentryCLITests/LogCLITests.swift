import ConsentFormats
import ConsentTesting
import Foundation
import Testing

extension CLISuite {
    /// The transparency log as a person runs it: a key, signed checkpoints served over HTTP, and a
    /// witness that notices when history is rewritten behind its back.
    struct LogCLITests {

        func start(_ cli: CLIRunner, key: String) async throws -> ServedProcess {
            try await ServedProcess(["serve", "--db", cli.db, "--insecure-cookies"], environment: ProcessInfo.processInfo.environment.merging([
                "CONSENTRY_JWT_SECRET": ServeEndToEndTests.secret, "CONSENTRY_LOG_KEY_FILE": key,
            ]) { $1 })
        }

        /// A store with a policy, members and `choice` for member 1001.
        func store(_ cli: CLIRunner, choice: String) throws {
            #expect(try cli.run(["policy", "apply", try cli.write("p.yaml", Fixtures.examplePolicyYAML)]).status == 0)
            #expect(try cli.run(["import", "members", try cli.write("m.jsonl", """
                {"id": "urn:li:member:1001", "birth_date": "1990-01-01", "country": "DE"}
                {"id": "urn:li:member:1002", "birth_date": "1985-01-01", "country": "FR"}

                """)]).status == 0)
            #expect(try cli.run(["set", "--member", "urn:li:member:1001", "--choice", choice, "--at", "2026-01-01"]).status == 0)
        }

        @Test func aWitnessAcceptsAGrowingLogAndCatchesARewrittenOne() async throws {
            let cli = try CLIRunner()
            let keyFile = cli.path("log.key")
            let created = try cli.run(["log", "init", "--name", "consentry.test/log", "--out", keyFile], withDB: false)
            let verifierKey = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(created.status == 0 && verifierKey.hasPrefix("consentry.test/log+"), "\(created.stderr)")
            #expect(try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int == 0o600)
            #expect(try cli.run(["log", "init", "--name", "x", "--out", keyFile], withDB: false).status != 0, "a key file is never overwritten")

            try store(cli, choice: "off")
            let checkpoint = try cli.run(["log", "checkpoint", "--key-file", keyFile])
            let verifier = try NoteVerifier(verifierKey: verifierKey)
            let first = try Checkpoint.open(checkpoint.stdout, verifier: verifier, origin: "consentry.test/log")
            #expect(first.size == 4, "policy, two members, one choice")

            var server = try await start(cli, key: keyFile)
            func witness() -> [String] { ["log", "witness", "--url", server.baseURL, "--key", verifierKey, "--state", cli.path("witness.txt")] }
            let seen = try cli.run(witness(), withDB: false)
            #expect(seen.status == 0 && seen.stdout.contains("has 4 entries"), "\(seen.stdout)\(seen.stderr)")

            // More facts: the log grows, consistently.
            #expect(try cli.run(["set", "--member", "urn:li:member:1002", "--choice", "off"]).status == 0)
            let grown = try cli.run(witness(), withDB: false)
            #expect(grown.status == 0 && grown.stdout.contains("grew from 4 to 5 entries"), "\(grown.stdout)\(grown.stderr)")

            // The operator rebuilds the store with member 1001's choice changed, and signs with the same key.
            server.process.terminate()
            server.process.waitUntilExit()
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cli.db + suffix) }
            try store(cli, choice: "on")
            #expect(try cli.run(["set", "--member", "urn:li:member:1002", "--choice", "off"]).status == 0)
            server = try await start(cli, key: keyFile)
            let caught = try cli.run(witness(), withDB: false)
            #expect(caught.status == 1 && caught.stderr.contains("the log's history was rewritten"), "\(caught.stdout)\(caught.stderr)")
            // A consistency proof from the CLI verifies between two checkpoints of an honest log.
            let before = try Checkpoint.open(try cli.run(["log", "checkpoint", "--key-file", keyFile]).stdout, verifier: verifier)
            #expect(try cli.run(["set", "--member", "urn:li:member:1001", "--choice", "off"]).status == 0)
            let after = try Checkpoint.open(try cli.run(["log", "checkpoint", "--key-file", keyFile]).stdout, verifier: verifier)
            let proof = try ConsistencyProofJSON.decode(try cli.run(["log", "prove-consistency", "--first", String(before.size)]).stdout)
            #expect(proof.second == after.size && MerkleTree.verifyConsistency(first: before.size, second: after.size, firstRoot: before.root,
                                                                                secondRoot: after.root, proof: proof.proof))
        }
    }
}
