import Foundation

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
        /// Language code → the region's name for people.
        public var names: [String: String]

        public init(id: String, countries: [String], effective: String, defaultRule: String, names: [String: String] = [:]) {
            self.id = id
            self.countries = countries
            self.effective = effective
            self.defaultRule = defaultRule
            self.names = names
        }
    }

    public var purpose: String
    public var version: String
    public var minimumAge: Int
    public var unknownAge: String
    public var noticeDays: Int
    public var lookbackStart: String?
    public var honorGPC: Bool
    /// Objections: from receipt to the deadline, and the longest extension.
    public var response: Term
    public var maxExtension: Term
    public var allow: [String]
    public var regions: [RegionDraft]
    /// Field path → 1-based line in the source file, for error messages.
    public var lines: [String: Int]

    public init(purpose: String, version: String, minimumAge: Int, unknownAge: String = "exclude",
                noticeDays: Int = 0, lookbackStart: String? = nil, honorGPC: Bool = true,
                response: Term, maxExtension: Term, allow: [String], regions: [RegionDraft],
                lines: [String: Int] = [:]) {
        self.purpose = purpose
        self.version = version
        self.minimumAge = minimumAge
        self.unknownAge = unknownAge
        self.noticeDays = noticeDays
        self.lookbackStart = lookbackStart
        self.honorGPC = honorGPC
        self.response = response
        self.maxExtension = maxExtension
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
        func check(_ term: Term, _ path: String, from least: Int) {
            let (limit, unit) = if case .months = term { (12, "months") } else { (365, "days") }
            if !(least...limit).contains(term.count) { problem(path, "\(term) must be between \(least) and \(limit) \(unit)") }
        }
        check(draft.response, "objections.response", from: 1)
        check(draft.maxExtension, "objections.max_extension", from: 0)

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
            for (language, name) in draftRegion.names.sorted(by: { $0.key < $1.key }) {
                if language.count != 2 || !language.allSatisfy({ ("a"..."z").contains($0) }) {
                    problem("\(path).names.\(language)", "\(jsonStringLiteral(language)) is not a language code of two small letters (en, de, fr)")
                } else if name.trimmingCharacters(in: .whitespaces).isEmpty || name.count > 100 {
                    problem("\(path).names.\(language)", "must be a name of 1 to 100 characters")
                }
            }
            if let effective, let rule {
                regions.append(Region(id: draftRegion.id, countries: countries, effective: effective, defaultRule: rule, names: draftRegion.names))
            }
        }

        guard problems.isEmpty, let unknownAge else {
            throw ConsentError.invalidPolicy(source: source, problems: problems)
        }
        return Policy(
            purpose: draft.purpose, version: draft.version, minimumAge: draft.minimumAge, unknownAge: unknownAge,
            noticeDays: draft.noticeDays, lookbackStart: lookback, honorGPC: draft.honorGPC,
            objectionTerms: ObjectionTerms(response: draft.response, maxExtension: draft.maxExtension),
            allowedCategories: Category.allCases.filter(allowed.contains), regions: regions)
    }
}
