#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered standard output for commands that print a line per member.
final class Output {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        var offset = 0
        while offset < buffer.count {
            let written = buffer[offset...].withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            if written <= 0 { break }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}

/// Whether standard error is a terminal (progress is shown only there).
var stderrIsTerminal: Bool { isatty(2) == 1 }

func printError(_ text: String, newline: Bool = true) {
    var line = newline ? text + "\n" : text
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
