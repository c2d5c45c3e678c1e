/// Finds the bytes that need escaping in text about to be written as JSON or as PostgreSQL
/// COPY rows, 16 bytes at a time: bulk paths write hundreds of megabytes of text that almost
/// never needs escaping.
public enum ByteScan {
    /// The index of the first byte at or after `start` that is a control character (below
    /// 0x20) or equals `first` or `second`; `bytes.count` when there is none.
    @inlinable
    public static func firstSpecial(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, _ first: UInt8, _ second: UInt8) -> Int {
        var index = start
        if let base = bytes.baseAddress {
            let raw = UnsafeRawPointer(base)
            let controls = SIMD16<UInt8>(repeating: 0x20), firsts = SIMD16<UInt8>(repeating: first), seconds = SIMD16<UInt8>(repeating: second)
            while index + 16 <= bytes.count {
                let chunk = raw.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
                if any((chunk .< controls) .| (chunk .== firsts) .| (chunk .== seconds)) { break }
                index += 16
            }
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 0x20 || byte == first || byte == second { return index }
            index += 1
        }
        return index
    }
}
