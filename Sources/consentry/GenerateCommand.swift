import ArgumentParser
import ConsentDemo
import Foundation

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic population as import files (members.jsonl, consents.jsonl).",
        discussion: """
            The same generator as the demo and the benchmarks: the same --members and --seed always give the same bytes. Example: consentry generate --members 100000 --out /tmp/pop && consentry import members /tmp/pop/members.jsonl
            """
    )

    @Option(help: "How many members.") var members = 10_000
    @Option(help: "The generator's seed.") var seed: UInt64 = 42
    @Option(help: "The directory to write into (created if missing).") var out: String

    func validate() throws {
        guard members >= 1 else { throw ValidationError("--members must be at least 1") }
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let membersPath = (out as NSString).appendingPathComponent("members.jsonl")
        let consentsPath = (out as NSString).appendingPathComponent("consents.jsonl")
        let choices = try SyntheticPopulation(seed: seed, count: members)
            .writeImportFiles(members: membersPath, consents: consentsPath)
        print("wrote \(members) members to \(membersPath) and \(choices) choices to \(consentsPath)")
    }
}
