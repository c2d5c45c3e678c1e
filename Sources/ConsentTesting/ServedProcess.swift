import Foundation

/// A `consentry serve` (or `demo`) process on 127.0.0.1 that the system gave a free port:
/// started with `--port 0`, it is ready once it prints the line naming its port. No port is
/// guessed, so two tests never race for one; a server that exits instead is reported with what
/// it wrote on standard error.
public final class ServedProcess: @unchecked Sendable {
    public struct StartFailure: Error, CustomStringConvertible {
        public let description: String
    }

    public let process: Process
    /// The port the server listens on.
    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `consentry <arguments> --port 0` and waits (up to `timeout`) until it listens.
    public init(_ arguments: [String], environment: [String: String], timeout: Duration = .seconds(60)) async throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: BuiltBinary.consentry)
        process.arguments = arguments + ["--port", "0"]
        process.environment = environment
        let out = Pipe(), errors = Pipe()
        process.standardOutput = out
        process.standardError = errors
        try process.run()
        // Read as it comes (never blocking the server on a full pipe), looked at every 50 ms.
        let printed = Printed(), said = Printed()
        out.fileHandleForReading.readabilityHandler = { printed.append($0.availableData) }
        errors.fileHandleForReading.readabilityHandler = { said.append($0.availableData) }
        let clock = ContinuousClock(), deadline = clock.now + timeout
        while true {
            if let port = printed.port {
                self.port = port
                return
            }
            if !process.isRunning || clock.now > deadline {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                throw StartFailure(description: "consentry \(arguments.joined(separator: " ")) did not start listening within \(timeout) "
                    + "(exit status \(process.terminationStatus)): \(said.text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// What a pipe delivered so far.
    final class Printed: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()

        func append(_ more: Data) { lock.withLock { data.append(more) } }
        var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
        /// The port in the line `… serving … on http://127.0.0.1:PORT` (`Serving the demo on …`
        /// for the demo), once that line is whole. Other addresses it prints (a webhook's) are not it.
        var port: Int? {
            let text = text
            guard let end = text.lastIndex(of: "\n") else { return nil }
            guard let line = text[..<end].split(separator: "\n")
                    .first(where: { $0.lowercased().contains("serving") && $0.contains(" on http://127.0.0.1:") }),
                  let range = line.range(of: " on http://127.0.0.1:") else { return nil }
            let digits = line[range.upperBound...].prefix { $0.isNumber }
            return Int(digits)
        }
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
