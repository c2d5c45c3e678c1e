import ConsentCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file (or standard input for `-`) one line at a time into a reused buffer,
/// so memory stays constant whatever the file's size.
public final class LineReader {
    private let file: UnsafeMutablePointer<FILE>
    private let ownsFile: Bool
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    /// The 1-based number of the line last read.
    public private(set) var lineNumber = 0

    /// Opens `path`; `-` means standard input.
    public init(path: String) throws {
        if path == "-" {
            file = fdopen(0, "rb")!
            ownsFile = false
        } else {
            guard let opened = fopen(path, "rb") else {
                throw ConsentError.invalidField(field: "file", message: "cannot open \(path): \(String(cString: strerror(errno)))")
            }
            file = opened
            ownsFile = true
        }
    }

    deinit {
        free(buffer)
        if ownsFile { fclose(file) }
    }

    /// Calls `body` with the next line without its line ending; returns false at the end.
    public func next<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T? {
        let length = getline(&buffer, &capacity, file)
        guard length >= 0, let buffer else { return nil }
        lineNumber += 1
        var end = length
        if end > 0 && buffer[end - 1] == 0x0A { end -= 1 }
        if end > 0 && buffer[end - 1] == 0x0D { end -= 1 }
        return try buffer.withMemoryRebound(to: UInt8.self, capacity: max(length, 1)) { bytes in
            try body(UnsafeBufferPointer(start: bytes, count: end))
        }
    }
}

/// The lines of a JSON Lines file parsed into records; blank lines are skipped.
public struct JSONLines<Record: Sendable>: Sequence {
    public typealias Parse = (UnsafeBufferPointer<UInt8>, _ source: String, _ line: Int) -> Result<Record, ConsentError>

    let reader: LineReader
    let source: String
    let parse: Parse

    public init(path: String, source: String? = nil, parse: @escaping Parse) throws {
        reader = try LineReader(path: path)
        self.source = source ?? path
        self.parse = parse
    }

    public struct Iterator: IteratorProtocol {
        let lines: JSONLines

        public mutating func next() -> ImportLine<Record>? {
            while true {
                let parsed: ImportLine<Record>?? = lines.reader.next { bytes in
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
                    let number = lines.reader.lineNumber
                    return ImportLine(line: number, record: lines.parse(bytes, lines.source, number))
                }
                guard let parsed else { return nil }
                if let line = parsed { return line }
            }
        }
    }

    public func makeIterator() -> Iterator { Iterator(lines: self) }
}
