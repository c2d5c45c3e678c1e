/// `value` as a JSON string literal: in double quotes, with `"`, `\\` and control characters escaped.
/// Used for values in error messages and, through `JSONWriter`, for every JSON Consentry writes.
public func jsonStringLiteral(_ value: String) -> String {
    var clean = true
    for byte in value.utf8 where byte < 0x20 || byte == 0x22 || byte == 0x5C {
        clean = false
        break
    }
    if clean {
        var result = "\""
        result.reserveCapacity(value.utf8.count + 2)
        result += value
        result += "\""
        return result
    }
    let hex = Array("0123456789abcdef".utf8)
    var bytes: [UInt8] = [0x22]
    bytes.reserveCapacity(value.utf8.count + 16)
    for byte in value.utf8 {
        switch byte {
        case 0x22: bytes += [0x5C, 0x22]
        case 0x5C: bytes += [0x5C, 0x5C]
        case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
        case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
        case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
        case ..<0x20: bytes += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
        default: bytes.append(byte)
        }
    }
    bytes.append(0x22)
    return String(decoding: bytes, as: UTF8.self)
}
