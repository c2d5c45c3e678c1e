import ConsentCore
import ConsentFormats
import ConsentStorage
import Logging
import NIOCore
import PostgresNIO

/// Rows in the text format of `COPY … FROM STDIN`: fields separated by tabs, rows by newlines,
/// `\N` for NULL, and backslash, tab, newline and carriage return escaped with a backslash.
///
/// Built for bulk paths (imports stream millions of rows through it): text is copied in runs
/// between the rare bytes that need escaping, not byte by byte.
public struct CopyRows: Sendable {
    private(set) var buffer: ByteBuffer
    /// Rows ended so far.
    private(set) var count = 0
    private var fieldsInRow = 0

    init(capacity: Int = 0) {
        buffer = ByteBuffer()
        buffer.reserveCapacity(capacity)
    }

    var isEmpty: Bool { count == 0 }

    mutating func text(bytes: UnsafeBufferPointer<UInt8>) {
        separate()
        var start = 0
        while true {
            let index = ByteScan.firstSpecial(bytes, from: start, UInt8(ascii: "\\"), UInt8(ascii: "\\"))
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes[start..<index])))
            guard index < bytes.count else { return }
            switch bytes[index] {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case let other: buffer.writeInteger(other)
            }
            start = index + 1
        }
    }

    mutating func integer(_ value: Int64) {
        separate()
        buffer.writeString(String(value))
    }

    mutating func null() {
        separate()
        buffer.writeStaticString("\\N")
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        count += 1
        fieldsInRow = 0
    }

    /// Appends every row of `rows`, texts copied from where they lie in the batch.
    mutating func rows(_ rows: RowBatch) {
        rows.withCells { cells, text in
            for (position, cell) in cells.enumerated() {
                switch cell {
                case .null: null()
                case .integer(let number): integer(number)
                case .text(let start, let count): self.text(bytes: UnsafeBufferPointer(rebasing: text[start..<(start + count)]))
                }
                if (position + 1) % rows.columns == 0 { endRow() }
            }
        }
    }

    private mutating func separate() {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fieldsInRow += 1
    }
}

extension PostgresConnection {
    /// Sends `rows` with one `COPY table (columns) FROM STDIN`; nothing when there are none.
    func copy(_ rows: CopyRows, into table: String, columns: [String], logger: Logger) async throws {
        guard !rows.isEmpty else { return }
        let data = rows.buffer
        try await copyFrom(table: table, columns: columns, logger: logger) { writer in try await writer.write(data) }
    }
}
