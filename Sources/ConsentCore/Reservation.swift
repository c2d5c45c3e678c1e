import Foundation

/// A rights holder's "do not train" signal carried by the content itself, which the pipeline
/// extracted into one field of the record (`datasets filter --reservation-field F`). Three
/// vocabularies are understood:
///
/// - W3C TDMRep `tdm-reservation`: `1` (number or string) reserves, `0` does not.
/// - IETF AIPREF usage preferences, as in a `Content-Usage` header: `train-ai=n` (or
///   `train-genai=n`) reserves; `train-ai=y` and preferences about other uses (`search=n`) do not.
///   Entries are separated by commas; parameters after `;` are ignored.
/// - C2PA/CAWG training-and-data-mining `use`: `notAllowed` and `constrained` reserve (the gate
///   cannot check a constraint), `allowed` does not.
///
/// The field absent or `null` means no reservation. Any other value (`true`, `"no"`, an object)
/// cannot be read as permission, so it reserves: when the gate cannot tell, it fails closed.
public enum Reservation {
    /// The value of a reservation field, as the record holds it.
    public enum Value: Equatable, Sendable {
        case absent
        case string(String)
        /// A JSON number, as written.
        case number(String)
        /// `true`, `false`, an object or an array.
        case other
    }

    /// Whether `value` reserves the content against training.
    public static func reserves(_ value: Value) -> Bool {
        switch value {
        case .absent: false
        case .number(let text): !isZero(text)
        case .other: true
        case .string(let text): reserves(text)
        }
    }

    /// The vocabularies' texts; see ``Reservation``.
    public static func reserves(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        switch trimmed {
        case "0", "allowed": return false
        case "1", "notAllowed", "constrained": return true
        default: break
        }
        // AIPREF: `train-ai=n, search=y`. Only a statement about AI training decides.
        var saysAnything = false
        for entry in trimmed.split(separator: ",") {
            let item = entry.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else { return true }
            saysAnything = true
            guard parts[0] == "train-ai" || parts[0] == "train-genai" else { continue }
            switch parts[1] {
            case "y": continue
            case "n": return true
            default: return true
            }
        }
        return !saysAnything
    }

    /// The answer for the values written exactly as the vocabularies spell them (`0`, `1`,
    /// `allowed`, `notAllowed`, `constrained`), read from their bytes without making a string;
    /// nil for any other text, which ``reserves(_:)-(String)`` reads.
    public static func known(utf8 text: UnsafeBufferPointer<UInt8>) -> Bool? {
        for (spelling, reserves) in spellings where spelling.count == text.count && spelling.elementsEqual(text) { return reserves }
        return nil
    }

    private static let spellings: [([UInt8], Bool)] = [
        (Array("0".utf8), false), (Array("1".utf8), true), (Array("allowed".utf8), false),
        (Array("notAllowed".utf8), true), (Array("constrained".utf8), true),
    ]

    private static func isZero(_ number: String) -> Bool {
        Double(number) == 0
    }
}
