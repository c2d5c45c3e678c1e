/// An ISO 3166-1 alpha-2 country code such as `DE`, packed into 16 bits so that region
/// look-ups are a table index, not a string hash.
public struct CountryCode: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// `(first letter - A) * 26 + (second letter - A)`: 0 ..< 676.
    public let index: UInt16

    /// Accepts an officially assigned ISO 3166-1 alpha-2 code (upper case); nil otherwise.
    public init?(_ code: String) {
        // The view itself, not an array of it.
        let bytes = code.utf8
        guard bytes.count == 2, let first = bytes.first, let second = bytes.last else { return nil }
        self.init(first, second)
    }

    /// The same from UTF-8 bytes, as stores read them.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        guard bytes.count == 2 else { return nil }
        self.init(bytes[0], bytes[1])
    }

    private init?(_ first: UInt8, _ second: UInt8) {
        guard first >= 65, first <= 90, second >= 65, second <= 90 else { return nil }
        let index = UInt16(first - 65) * 26 + UInt16(second - 65)
        guard Self.assigned[Int(index)] else { return nil }
        self.index = index
    }

    public var description: String {
        // Two bytes, held inside the string: no allocation (imports write millions).
        String(unsafeUninitializedCapacity: 2) { out in
            out[0] = UInt8(index / 26) + 65
            out[1] = UInt8(index % 26) + 65
            return 2
        }
    }

    public static func < (lhs: CountryCode, rhs: CountryCode) -> Bool { lhs.index < rhs.index }

    /// The officially assigned codes (ISO 3166-1, 249 entries).
    static let assignedCodes = """
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ \
        BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM \
        DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS \
        GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
        KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ \
        MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM \
        PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV \
        SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI \
        VN VU WF WS YE YT ZA ZM ZW
        """

    static let assigned: [Bool] = {
        var table = [Bool](repeating: false, count: 676)
        for code in assignedCodes.split(separator: " ") {
            let bytes = Array(code.utf8)
            table[Int(bytes[0] - 65) * 26 + Int(bytes[1] - 65)] = true
        }
        return table
    }()
}
