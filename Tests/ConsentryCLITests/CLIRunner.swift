import Testing
import ConsentTesting
import Foundation

/// Runs the built `consentry` binary in a scratch directory, as a person would from a shell.
final class CLIRunner: @unchecked Sendable {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    let directory: URL
    var db: String { directory.appendingPathComponent("consentry.sqlite").path }

    /// The binary next to the test bundle (or `CONSENTRY_BIN`).
    static var binary: String { BuiltBinary.consentry }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("consentry-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// Runs `consentry ARGS --db <scratch db>` (unless `withDB` is false).
    func run(_ arguments: [String], withDB: Bool = true, stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments + (withDB ? ["--db", db] : [])
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes to the end before waiting, so a large output never blocks the child.
        let errData = SendableBox<Data>()
        let errReader = Thread { errData.value = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while errData.value == nil { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.value ?? Data(), as: UTF8.self))
    }
}

extension CLIRunner {
    /// Starts `consentry ARGS --db <scratch db>`, kills it with SIGKILL after `microseconds`
    /// unless it has exited by then, and waits for it: whether it was killed, and its status.
    func runKilled(_ arguments: [String], after microseconds: UInt32) throws -> (killed: Bool, status: Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments + ["--db", db]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(microseconds)
        let killed = process.isRunning
        if killed { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return (killed, process.terminationStatus)
    }
}

final class SendableBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T?
    var value: T? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Every command-line test, one at a time: each waits on child processes, blocking a thread of
/// the cooperative pool (two on two cores), so running them side by side would starve the
/// HTTP tests running beside them.
@Suite(.serialized) enum CLISuite {}
