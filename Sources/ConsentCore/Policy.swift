import Foundation

/// The one purpose Consentry decides for.
public let genAITrainingPurpose = "genai-training"

/// What a region does for a member who has made no choice.
public enum RegionDefault: String, Sendable, CaseIterable {
    /// Opt-out regime: data is used unless the member switches the setting off.
    case included
    /// Opt-in regime: data is used only after the member switches the setting on.
    case excluded
}

/// What to do with a member whose birth date is unknown.
public enum UnknownAgeRule: String, Sendable, CaseIterable {
    case exclude
    case include
}

/// A set of countries that joined the policy on one date under one default.
public struct Region: Sendable, Equatable {
    public var id: String
    public var countries: [CountryCode]
    /// The instant from which members of the region are in scope.
    public var effective: Date
    public var defaultRule: RegionDefault

    public init(id: String, countries: [CountryCode], effective: Date, defaultRule: RegionDefault) {
        self.id = id
        self.countries = countries
        self.effective = effective
        self.defaultRule = defaultRule
    }
}

/// Deadlines for answering an objection (GDPR art. 12(3): one month, extendable by two).
public struct ObjectionTerms: Sendable, Equatable {
    public var responseDays: Int
    public var maxExtensionDays: Int

    public init(responseDays: Int, maxExtensionDays: Int) {
        self.responseDays = responseDays
        self.maxExtensionDays = maxExtensionDays
    }
}

/// One validated version of the rules for the `genai-training` purpose.
///
/// Build one with ``Policy/validated(_:)`` from a ``PolicyDraft``; every instance satisfies
/// the invariants (known countries, each in at most one region, no never-allowed category).
public struct Policy: Sendable, Equatable {
    public let purpose: String
    public let version: String
    public let minimumAge: Int
    public let unknownAge: UnknownAgeRule
    /// Days a member must have been notified before their data is used; 0 = no notice needed.
    public let noticeDays: Int
    /// Records created before this instant are never used.
    public let lookbackStart: Date?
    public let honorGPC: Bool
    public let objectionTerms: ObjectionTerms
    /// The allowed categories, every prefix expanded, in taxonomy order.
    public let allowedCategories: [Category]
    public let regions: [Region]
    /// Country index → region index, -1 for a country in no region.
    private let regionByCountry: [Int16]

    /// The region `country` belongs to, if any.
    @inlinable public func regionIndex(of country: CountryCode) -> Int? {
        let index = regionTable[Int(country.index)]
        return index < 0 ? nil : Int(index)
    }

    public func region(of country: CountryCode) -> Region? {
        regionIndex(of: country).map { regions[$0] }
    }

    /// Whether `category` may be used for training under this policy.
    public func allows(_ category: Category) -> Bool { allowedCategories.contains(category) }

    /// The categories that are never used under this policy, allowed by nobody or never allowable.
    public var excludedCategories: [Category] { Category.allCases.filter { !allows($0) } }

    @usableFromInline var regionTable: [Int16] { regionByCountry }

    init(purpose: String, version: String, minimumAge: Int, unknownAge: UnknownAgeRule, noticeDays: Int,
         lookbackStart: Date?, honorGPC: Bool, objectionTerms: ObjectionTerms,
         allowedCategories: [Category], regions: [Region]) {
        self.purpose = purpose
        self.version = version
        self.minimumAge = minimumAge
        self.unknownAge = unknownAge
        self.noticeDays = noticeDays
        self.lookbackStart = lookbackStart
        self.honorGPC = honorGPC
        self.objectionTerms = objectionTerms
        self.allowedCategories = allowedCategories
        self.regions = regions
        var table = [Int16](repeating: -1, count: 676)
        for (index, region) in regions.enumerated() {
            for country in region.countries { table[Int(country.index)] = Int16(index) }
        }
        self.regionByCountry = table
    }

    public static func == (lhs: Policy, rhs: Policy) -> Bool {
        lhs.purpose == rhs.purpose && lhs.version == rhs.version && lhs.minimumAge == rhs.minimumAge
            && lhs.unknownAge == rhs.unknownAge && lhs.noticeDays == rhs.noticeDays
            && lhs.lookbackStart == rhs.lookbackStart && lhs.honorGPC == rhs.honorGPC
            && lhs.objectionTerms == rhs.objectionTerms && lhs.allowedCategories == rhs.allowedCategories
            && lhs.regions == rhs.regions
    }
}

/// A policy as written, before validation: plain values plus where each field came from.
///
/// A file reader (YAML) fills it; ``Policy/validated(_:)`` checks it and names every problem
/// by its field path (`regions[1].countries[4]`) and source line.
public struct PolicyDraft: Sendable {
    public struct RegionDraft: Sendable {
        public var id: String
        public var countries: [String]
        public var effective: String
        public var defaultRule: String

        public init(id: String, countries: [String], effective: String, defaultRule: String) {
            self.id = id
            self.countries = countries
            self.effective = effective
            self.defaultRule = defaultRule
        }
    }

    public var purpose: String
    public var version: String
    public var minimumAge: Int
    public var unknownAge: String
    public var noticeDays: Int
    public var lookbackStart: String?
    public var honorGPC: Bool
    public var responseDays: Int
    public var maxExtensionDays: Int
    public var allow: [String]
    public var regions: [RegionDraft]
    /// Field path → 1-based line in the source file, for error messages.
    public var lines: [String: Int]

    public init(purpose: String, version: String, minimumAge: Int, unknownAge: String = "exclude",
                noticeDays: Int = 0, lookbackStart: String? = nil, honorGPC: Bool = true,
                responseDays: Int, maxExtensionDays: Int, allow: [String], regions: [RegionDraft],
                lines: [String: Int] = [:]) {
        self.purpose = purpose
        self.version = version
        self.minimumAge = minimumAge
        self.unknownAge = unknownAge
        self.noticeDays = noticeDays
        self.lookbackStart = lookbackStart
        self.honorGPC = honorGPC
        self.responseDays = responseDays
        self.maxExtensionDays = maxExtensionDays
        self.allow = allow
        self.regions = regions
        self.lines = lines
    }
}

/// One thing wrong with a policy: the field path, what is wrong, and the source line if known.
public struct PolicyProblem: Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var line: Int?

    public init(path: String, message: String, line: Int? = nil) {
        self.path = path
        self.message = message
        self.line = line
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

extension Policy {
    /// Checks every rule a policy must satisfy and returns the policy, or throws
    /// ``ConsentError/invalidPolicy(source:problems:)`` listing every problem found.
    public static func validated(_ draft: PolicyDraft, source: String = "policy") throws -> Policy {
        var problems: [PolicyProblem] = []
        func problem(_ path: String, _ message: String) {
            problems.append(PolicyProblem(path: path, message: message, line: draft.lines[path]))
        }

        if draft.purpose != genAITrainingPurpose {
            problem("purpose", "\(jsonStringLiteral(draft.purpose)) is not supported; Consentry decides the purpose \"\(genAITrainingPurpose)\"")
        }
        if draft.version.trimmingCharacters(in: .whitespaces).isEmpty {
            problem("version", "must be a non-empty string")
        }
        if !(1...125).contains(draft.minimumAge) {
            problem("minimum_age", "\(draft.minimumAge) is not an age between 1 and 125")
        }
        let unknownAge = UnknownAgeRule(rawValue: draft.unknownAge)
        if unknownAge == nil {
            problem("unknown_age", "\(jsonStringLiteral(draft.unknownAge)) must be exclude or include")
        }
        if !(0...3650).contains(draft.noticeDays) {
            problem("notice_days", "\(draft.noticeDays) must be between 0 and 3650")
        }
        var lookback: Date?
        if let text = draft.lookbackStart {
            lookback = Timestamp.parse(text)
            if lookback == nil { problem("lookback_start", "\(jsonStringLiteral(text)) is not a date or an RFC 3339 instant") }
        }
        if !(1...365).contains(draft.responseDays) {
            problem("objections.response_days", "\(draft.responseDays) must be between 1 and 365")
        }
        if !(0...365).contains(draft.maxExtensionDays) {
            problem("objections.max_extension_days", "\(draft.maxExtensionDays) must be between 0 and 365")
        }

        var allowed = Set<Category>()
        for (index, entry) in draft.allow.enumerated() {
            let path = "categories.allow[\(index)]"
            guard let leaves = Category.expanding(entry) else {
                problem(path, "\(jsonStringLiteral(entry)) is not a data category; known: \(Category.groups.joined(separator: ", ")) and their leaves such as \(Category.accountName.rawValue)")
                continue
            }
            let forbidden = leaves.filter(\.isNeverAllowed)
            if !forbidden.isEmpty {
                let names = forbidden.map(\.rawValue).joined(separator: ", ")
                if leaves.count == 1 {
                    problem(path, "\(jsonStringLiteral(entry)) can never be allowed for training")
                } else {
                    problem(path, "\(jsonStringLiteral(entry)) includes \(names), which can never be allowed; list the allowed categories one by one")
                }
                continue
            }
            allowed.formUnion(leaves)
        }

        var regions: [Region] = []
        var regionOfCountry: [CountryCode: String] = [:]
        var regionIDs = Set<String>()
        for (index, draftRegion) in draft.regions.enumerated() {
            let path = "regions[\(index)]"
            let idIsValid = !draftRegion.id.isEmpty && draftRegion.id.utf8.allSatisfy {
                ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_")
            }
            if !idIsValid {
                problem("\(path).id", "\(jsonStringLiteral(draftRegion.id)) must be lower-case letters, digits, - or _")
            } else if !regionIDs.insert(draftRegion.id).inserted {
                problem("\(path).id", "\(jsonStringLiteral(draftRegion.id)) names another region too")
            }
            if draftRegion.countries.isEmpty { problem("\(path).countries", "a region needs at least one country") }
            var countries: [CountryCode] = []
            for (countryIndex, text) in draftRegion.countries.enumerated() {
                let countryPath = "\(path).countries[\(countryIndex)]"
                guard let country = CountryCode(text) else {
                    problem(countryPath, "\(jsonStringLiteral(text)) is not an ISO 3166-1 alpha-2 code")
                    continue
                }
                if let other = regionOfCountry[country] {
                    problem(countryPath, other == draftRegion.id
                        ? "\(jsonStringLiteral(text)) is listed twice in this region"
                        : "\(jsonStringLiteral(text)) is already in region \(jsonStringLiteral(other)); a country belongs to one region")
                    continue
                }
                regionOfCountry[country] = draftRegion.id
                countries.append(country)
            }
            let effective = Timestamp.parse(draftRegion.effective)
            if effective == nil {
                problem("\(path).effective", "\(jsonStringLiteral(draftRegion.effective)) is not a date or an RFC 3339 instant")
            }
            let rule = RegionDefault(rawValue: draftRegion.defaultRule)
            if rule == nil {
                problem("\(path).default", "\(jsonStringLiteral(draftRegion.defaultRule)) must be included (opt-out) or excluded (opt-in)")
            }
            if let effective, let rule {
                regions.append(Region(id: draftRegion.id, countries: countries, effective: effective, defaultRule: rule))
            }
        }

        guard problems.isEmpty, let unknownAge else {
            throw ConsentError.invalidPolicy(source: source, problems: problems)
        }
        return Policy(
            purpose: draft.purpose, version: draft.version, minimumAge: draft.minimumAge, unknownAge: unknownAge,
            noticeDays: draft.noticeDays, lookbackStart: lookback, honorGPC: draft.honorGPC,
            objectionTerms: ObjectionTerms(responseDays: draft.responseDays, maxExtensionDays: draft.maxExtensionDays),
            allowedCategories: Category.allCases.filter(allowed.contains), regions: regions)
    }
}

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
