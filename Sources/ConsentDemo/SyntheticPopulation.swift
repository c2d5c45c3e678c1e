import ConsentCore
import ConsentFormats
import Foundation

/// A seeded, reproducible population of members, choices and objections for the demo, the
/// tests and the benchmarks. Member `i` depends only on the seed and `i`, so any slice can be
/// generated, streamed to a file, or compared, without holding the population in memory.
public struct SyntheticPopulation: Sendable {
    public let seed: UInt64
    public let count: Int

    /// The instant ages and choice times are generated around.
    public static let reference = Timestamp.parse("2026-06-01T00:00:00Z")!

    public init(seed: UInt64 = 42, count: Int) {
        self.seed = seed
        self.count = count
    }

    static let europe = ["DE", "FR", "NL", "IE", "IT", "ES", "PL", "SE", "NO", "GB", "CH", "AT", "BE", "PT", "DK"]
    static let outOfScope = ["BR", "IN", "JP", "AU", "MX", "ZA", "NG", "SG"]

    public func id(_ index: Int) -> MemberID { MemberID("urn:li:member:\(index + 1)")! }

    /// Member `index`: ~8% minors, ~5% unknown age, a few 29 February birthdays, spread over
    /// the example policy's regions and countries outside them.
    public func member(_ index: Int) -> MemberRecord {
        var random = SplitMix64(seed: seed, index: UInt64(index), stream: 1)
        let countryRoll = random.next(100)
        let country: String
        switch countryRoll {
        case 0..<40: country = Self.europe[random.next(Self.europe.count)]
        case 40..<65: country = "US"
        case 65..<73: country = "CA"
        case 73..<75: country = "HK"
        default: country = Self.outOfScope[random.next(Self.outOfScope.count)]
        }
        let ageRoll = random.next(1000)
        let birthDate: CivilDate?
        switch ageRoll {
        case 0..<50: birthDate = nil
        case 50..<130:
            birthDate = CivilDate(year: 2009 + random.next(5), month: 1 + random.next(12), day: 1 + random.next(28))
        case 130..<140:
            birthDate = CivilDate(year: [2008, 2004, 2000, 1996][random.next(4)], month: 2, day: 29)
        default:
            birthDate = CivilDate(year: 1950 + random.next(57), month: 1 + random.next(12), day: 1 + random.next(28))
        }
        let notifiedAt: Date? = random.next(10) == 0 ? nil
            : Timestamp.parse("2025-09-20T10:00:00Z")!.addingTimeInterval(TimeInterval(random.next(40 * 86_400)))
        let name = Self.names[random.next(Self.names.count)] + " " + Self.surnames[random.next(Self.surnames.count)]
        let data: [Category: String] = [
            .accountName: JSONWriter.string(name),
            .accountEmail: JSONWriter.string("member\(index + 1)@example.com"),
            .accountLogin: JSONWriter.string("hash$" + String(random.nextUInt64(), radix: 16)),
            .profileHeadline: JSONWriter.string(Self.headlines[random.next(Self.headlines.count)]),
            .preferencesLanguage: JSONWriter.string(["en", "de", "fr", "es", "pt", "ja"][random.next(6)]),
            .servicePlatform: JSONWriter.string(["web", "ios", "android"][random.next(3)]),
        ]
        return MemberRecord(member: Member(id: id(index), birthDate: birthDate, country: CountryCode(country)!,
                                           notifiedAt: notifiedAt), data: data)
    }

    /// Member `index`'s choices in time order: none for ~45%, up to three, over web, ios,
    /// android, api and gpc (always off).
    public func choices(_ index: Int) -> [ConsentEvent] {
        var random = SplitMix64(seed: seed, index: UInt64(index), stream: 2)
        let roll = random.next(100)
        let count = roll < 45 ? 0 : roll < 70 ? 1 : roll < 90 ? 2 : 3
        var at = Timestamp.parse("2024-10-01T00:00:00Z")!
        var events: [ConsentEvent] = []
        for _ in 0..<count {
            at = at.addingTimeInterval(TimeInterval(1 + random.next(200 * 86_400)))
            let channelRoll = random.next(100)
            let channel: Channel = channelRoll < 40 ? .web : channelRoll < 60 ? .ios : channelRoll < 80 ? .android
                : channelRoll < 85 ? .api : .gpc
            let choice: Choice = channel == .gpc ? .off : (random.next(100) < 65 ? .off : .on)
            events.append(ConsentEvent(member: id(index), choice: choice, channel: channel, at: at, actor: "import"))
        }
        return events
    }

    /// What happens to member `index`'s objection, for the ~0.5% who file one.
    public struct ObjectionPlan: Sendable, Equatable {
        public var filedAt: Date
        public var extensionDays: Int?
        public var outcome: ObjectionOutcome?
    }

    public func objectionPlan(_ index: Int) -> ObjectionPlan? {
        var random = SplitMix64(seed: seed, index: UInt64(index), stream: 3)
        guard random.next(200) == 0 else { return nil }
        let filedAt = Timestamp.parse("2025-11-10T09:00:00Z")!.addingTimeInterval(TimeInterval(random.next(150 * 86_400)))
        let roll = random.next(10)
        return ObjectionPlan(filedAt: filedAt, extensionDays: roll == 0 ? 30 : nil,
                             outcome: roll < 4 ? nil : roll < 8 ? .uphold : .reject)
    }

    /// Member `index` as a line of `consentry import members`.
    public func memberLine(_ index: Int) -> String {
        MemberRecords.canonicalJSON(member(index))
    }

    /// A choice as a line of `consentry import consents`.
    public static func consentLine(_ event: ConsentEvent) -> String {
        JSONWriter.object([
            "member": JSONWriter.string(event.member.rawValue),
            "choice": JSONWriter.string(event.choice.rawValue),
            "at": JSONWriter.string(Timestamp.format(event.at)),
            "channel": JSONWriter.string(event.channel.rawValue),
        ])
    }

    /// Writes the import files for the whole population, streaming.
    /// - Returns: the number of consent lines written.
    @discardableResult
    public func writeImportFiles(members membersPath: String, consents consentsPath: String) throws -> Int {
        guard FileManager.default.createFile(atPath: membersPath, contents: nil),
              FileManager.default.createFile(atPath: consentsPath, contents: nil),
              let members = FileHandle(forWritingAtPath: membersPath),
              let consents = FileHandle(forWritingAtPath: consentsPath)
        else { throw ConsentError.invalidField(field: "file", message: "cannot write \(membersPath) or \(consentsPath)") }
        defer { try? members.close(); try? consents.close() }
        var memberBuffer = "", consentBuffer = ""
        var consentCount = 0
        for index in 0..<count {
            memberBuffer += memberLine(index) + "\n"
            for event in choices(index) {
                consentBuffer += Self.consentLine(event) + "\n"
                consentCount += 1
            }
            if memberBuffer.utf8.count > 1 << 20 || index == count - 1 {
                try members.write(contentsOf: Data(memberBuffer.utf8))
                try consents.write(contentsOf: Data(consentBuffer.utf8))
                memberBuffer = ""
                consentBuffer = ""
            }
        }
        return consentCount
    }

    static let names = ["Ana", "Ben", "Chloé", "Dara", "Emil", "Fatima", "Gustav", "Hana", "Ivan", "Jun", "Kofi", "Lena",
                        "Mateo", "Nora", "Olu", "Priya", "Quinn", "Rosa", "Sven", "Tomás", "Uma", "Viktor", "Wen", "Yara", "Zoë"]
    static let surnames = ["Muster", "O'Brien", "Nguyen", "Schmidt", "García", "Kowalski", "Haddad", "Sato", "Okafor", "Rossi",
                           "Dubois", "Johansson", "Silva", "Novak", "Ferreira", "Kim"]
    static let headlines = ["Data engineer", "Product manager at a startup", "Nurse and educator", "Student",
                            "Founder, \"quoted\" & proud", "Head of Sales — EMEA", "Researcher in NLP", "Designer 🎨"]
}

/// SplitMix64: small, fast, and good enough to spread synthetic data; one stream per (seed, index, purpose).
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64, index: UInt64 = 0, stream: UInt64 = 0) {
        state = seed &* 0x9E37_79B9_7F4A_7C15 ^ index &* 0xBF58_476D_1CE4_E5B9 ^ stream &* 0x94D0_49BB_1331_11EB
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func nextUInt64() -> UInt64 { next() }

    /// A value in `0 ..< bound`.
    public mutating func next(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
