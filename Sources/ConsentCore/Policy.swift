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
    /// The region's name for people, by language code (`en`, `de`, `fr`, …); may be empty.
    public var names: [String: String]

    public init(id: String, countries: [CountryCode], effective: Date, defaultRule: RegionDefault, names: [String: String] = [:]) {
        self.id = id
        self.countries = countries
        self.effective = effective
        self.defaultRule = defaultRule
        self.names = names
    }

    /// The name in `language`, else in English, else the id in words ("canada-hong-kong" →
    /// "Canada Hong Kong").
    public func name(in language: String) -> String {
        if let name = names[language] ?? names["en"] { return name }
        return id.split(whereSeparator: { $0 == "-" || $0 == "_" }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: " ")
    }
}

/// Deadlines for answering an objection (GDPR art. 12(3): one month from receipt, extendable by
/// two further months), in calendar months or, where the law counts days, in days.
public struct ObjectionTerms: Sendable, Equatable {
    /// From receipt to the first deadline.
    public var response: Term
    /// How far, at most, one extension moves the deadline.
    public var maxExtension: Term

    public init(response: Term, maxExtension: Term) {
        self.response = response
        self.maxExtension = maxExtension
    }

    /// Terms counted in days.
    public init(responseDays: Int, maxExtensionDays: Int) {
        self.init(response: .days(responseDays), maxExtension: .days(maxExtensionDays))
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
