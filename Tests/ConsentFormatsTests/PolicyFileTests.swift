import ConsentCore
import ConsentFormats
import ConsentTesting
import Foundation
import Testing

struct PolicyFileTests {
    func problems(_ yaml: String) -> [PolicyProblem] {
        do {
            _ = try PolicyFile.load(yaml: yaml, source: "p.yaml")
            return []
        } catch ConsentError.invalidPolicy(_, let problems) {
            return problems
        } catch {
            return [PolicyProblem(path: "?", message: "\(error)")]
        }
    }

    func replacing(_ old: String, _ new: String) -> String {
        let yaml = Fixtures.examplePolicyYAML.replacingOccurrences(of: old, with: new)
        precondition(yaml != Fixtures.examplePolicyYAML, "the replacement must change the policy")
        return yaml
    }

    @Test func theExampleFileIsTheFixture() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/policy.yaml")
        #expect(try String(contentsOf: file, encoding: .utf8) == Fixtures.examplePolicyYAML)
    }

    @Test func theExamplePolicyReadsAsWritten() throws {
        let policy = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "p.yaml").policy
        #expect(policy.version == "2025-11-03" && policy.minimumAge == 18 && policy.unknownAge == .exclude)
        #expect(policy.noticeDays == 0 && policy.honorGPC && policy.lookbackStart == Timestamp.parse("2020-01-01"))
        #expect(policy.objectionTerms == ObjectionTerms(response: .months(1), maxExtension: .months(2)))
        #expect(policy.regions.map(\.id) == ["us", "europe", "canada-hong-kong"])
        #expect(policy.regions.map(\.defaultRule) == [.included, .included, .excluded])
        #expect(policy.region(of: CountryCode("NO")!)?.id == "europe", "NO is Norway, not false")
        #expect(policy.allows(.profilePhoto) && policy.allows(.accountName) && !policy.allows(.accountEmail))
        #expect(policy.excludedCategories.contains(.accountLogin))
    }

    @Test func absentOptionalFieldsTakeTheirDefaults() throws {
        let yaml = Fixtures.examplePolicyYAML.split(separator: "\n")
            .filter { !$0.hasPrefix("unknown_age") && !$0.hasPrefix("notice_days") && !$0.hasPrefix("honor_gpc") && !$0.hasPrefix("lookback_start") }
            .joined(separator: "\n")
        let policy = try PolicyFile.load(yaml: yaml, source: "p.yaml").policy
        #expect(policy.unknownAge == .exclude && policy.noticeDays == 0 && policy.honorGPC && policy.lookbackStart == nil)
    }

    @Test func theCanonicalFormIgnoresLayoutAndHashesStably() throws {
        let a = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "a")
        let reformatted = replacing("allow: [profile, content.posts", "allow: [profile.headline, profile.summary, profile.experience, profile.education, profile.skills, profile.photo, content.posts")
            .replacingOccurrences(of: "# The policy", with: "# Reformatted policy")
        let b = try PolicyFile.load(yaml: reformatted, source: "b")
        #expect(a.sha256 == b.sha256 && a.canonicalJSON == b.canonicalJSON)
        let shown = try PolicyFile.load(yaml: PolicyFile.yaml(a), source: "shown")
        #expect(shown.sha256 == a.sha256, "policy show prints YAML that applies to the same policy")
        #expect(try PolicyFile.load(yaml: replacing("minimum_age: 18", "minimum_age: 19"), source: "c").sha256 != a.sha256)
    }

    @Test func objectionTermsAreMonthsOrDays() throws {
        let months = "objections: { response: 1 month, max_extension: 2 months }"
        let line = try #require(Fixtures.examplePolicyYAML.split(separator: "\n").first { $0.hasPrefix("objections:") })
        func load(_ objections: String) throws -> PolicyVersion {
            try PolicyFile.load(yaml: Fixtures.examplePolicyYAML.replacingOccurrences(of: line, with: objections), source: "p.yaml")
        }
        #expect(try load(months).canonicalJSON.contains(#""objections":{"max_extension":"2 months","response":"1 month"}"#))
        // Days keep the canonical form (and so the SHA-256) they always had, however they are written.
        let older = try load("objections: { response_days: 30, max_extension_days: 60 }")
        let newer = try load("objections: { response: 30 days, max_extension: 60 days }")
        #expect(older.sha256 == newer.sha256 && older.canonicalJSON.contains(#""objections":{"max_extension_days":60,"response_days":30}"#))
        #expect(older.policy.objectionTerms == ObjectionTerms(responseDays: 30, maxExtensionDays: 60))
        let shown = try PolicyFile.load(yaml: PolicyFile.yaml(older), source: "shown")
        #expect(shown.sha256 == older.sha256)
        func problems(_ objections: String) -> [String] {
            do { _ = try load(objections); return [] } catch let error as ConsentError {
                if case .invalidPolicy(_, let problems) = error { return problems.map(\.description) }
                return [error.description]
            } catch { return ["\(error)"] }
        }
        #expect(problems("objections: { response: 1 fortnight, max_extension: 2 months }")
                == [#"objections.response: "1 fortnight" is not a period such as "1 month" or "30 days""#])
        #expect(problems("objections: { response: 13 months, max_extension: 2 months }") == ["objections.response: 13 months must be between 1 and 12 months"])
        #expect(problems("objections: { response: 1 month, response_days: 30, max_extension: 2 months }").first?.contains("not both") == true)
        #expect(problems("objections: { response: 1 month }").first?.hasPrefix("objections.max_extension: is required") == true)
    }

    @Test func aBadCountryIsNamedByPathValueAndLine() {
        let found = problems(replacing("[AT, BE, BG, HR, CY", "[AT, BE, BG, HR, XX"))
        #expect(found.map(\.description) == ["regions[1].countries[4]: \"XX\" is not an ISO 3166-1 alpha-2 code"])
        #expect(found.first?.line == 16)
    }

    @Test func aCountryInTwoRegionsIsRefused() {
        let found = problems(replacing("countries: [CA, HK]", "countries: [CA, HK, DE]"))
        #expect(found.map(\.description) == ["regions[2].countries[2]: \"DE\" is already in region \"europe\"; a country belongs to one region"])
    }

    @Test(arguments: [
        ("account.name, preferences.language", "account.name, account.login", "categories.allow[4]: \"account.login\" can never be allowed for training"),
        ("account.name, preferences.language", "account.name, messages", "categories.allow[4]: \"messages\" can never be allowed for training"),
        ("account.name, preferences.language", "account.name, profile.hobbies", "categories.allow[4]: \"profile.hobbies\" is not a data category; known: account, preferences, service, profile, content, messages and their leaves such as account.name"),
    ])
    func categoriesMustBeKnownAndAllowable(_ old: String, _ new: String, _ expected: String) {
        #expect(problems(replacing(old, new)).map(\.description) == [expected])
    }

    @Test func missingAndUnknownFieldsAreReported() {
        let yaml = replacing("minimum_age: 18\n", "").replacingOccurrences(of: "honor_gpc: true", with: "honour_gpc: true")
        let found = problems(yaml).map(\.description)
        #expect(found.contains("minimum_age: is required"))
        #expect(found.contains { $0.hasPrefix("honour_gpc: unknown field") })
    }

    @Test(arguments: [
        ("minimum_age: 18", "minimum_age: eighteen", "minimum_age: \"eighteen\" is not a whole number"),
        ("unknown_age: exclude", "unknown_age: maybe", "unknown_age: \"maybe\" must be exclude or include"),
        ("honor_gpc: true", "honor_gpc: yes", "honor_gpc: \"yes\" must be true or false"),
        ("effective: 2024-09-18", "effective: 2024-09-31", "regions[0].effective: \"2024-09-31\" is not a date or an RFC 3339 instant"),
        ("default: excluded", "default: optin", "regions[2].default: \"optin\" must be included (opt-out) or excluded (opt-in)"),
        ("version: \"2025-11-03\"", "version: \"\"", "version: must be a non-empty string"),
        ("purpose: genai-training", "purpose: ads", "purpose: \"ads\" is not supported; Consentry decides the purpose \"genai-training\""),
        ("{ id: us,", "{ id: europe,", "regions[1].id: \"europe\" names another region too"),
    ])
    func badValuesAreNamed(_ old: String, _ new: String, _ expected: String) {
        #expect(problems(replacing(old, new)).map(\.description) == [expected])
    }

    @Test func invalidYAMLIsReportedWithItsLine() {
        let found = problems("purpose: genai-training\nregions: [\n")
        #expect(found.count == 1 && found[0].message.hasPrefix("not valid YAML") && found[0].line != nil)
    }

    @Test func everyProblemIsListedAtOnce() {
        let yaml = replacing("minimum_age: 18", "minimum_age: 0").replacingOccurrences(of: "[CA, HK]", with: "[CA, ZZ]")
        #expect(problems(yaml).count == 2)
    }

    @Test func versionsAndEffectiveDatesAcceptInstants() throws {
        let yaml = replacing("effective: 2025-11-03, default: excluded", "effective: 2025-11-03T09:30:00+01:00, default: excluded")
        let policy = try PolicyFile.load(yaml: yaml, source: "p").policy
        #expect(Timestamp.format(policy.regions[2].effective) == "2025-11-03T08:30:00Z")
    }
}

/// Regions' names for people, per language, in the policy file.
struct RegionNamesTests {
    @Test func namesAreReadKeptAndWrittenBackAndAbsentNamesChangeNoHash() throws {
        let named = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML, source: "policy.yaml")
        let us = try #require(named.policy.regions.first)
        #expect(us.names == ["en": "United States", "de": "USA", "fr": "États-Unis"])
        #expect(us.name(in: "de") == "USA" && us.name(in: "es") == "United States", "English when the language has none")
        // policy show writes them back, and what it writes hashes the same.
        let shown = try PolicyFile.load(yaml: PolicyFile.yaml(named), source: "shown")
        #expect(shown.sha256 == named.sha256 && shown.policy.regions[0].names == us.names)
        // A policy without names has the canonical form it had before names existed.
        let plain = try PolicyFile.load(yaml: Fixtures.examplePolicyYAML.replacingOccurrences(
            of: #"(?m),\n\s+names: \{[^}]*\} \}"#, with: " }", options: .regularExpression), source: "plain")
        #expect(plain.policy.regions.allSatisfy { $0.names.isEmpty } && !plain.canonicalJSON.contains("names"))
        #expect(plain.policy.regions[2].name(in: "fr") == "Canada Hong Kong", "the id in words")
    }

    @Test(arguments: [("names: { english: US }", "regions[0].names.english"), ("names: { de: \"\" }", "regions[0].names.de"), ("names: [US]", "regions[0].names")])
    func badNamesAreNamedByPath(_ names: String, _ path: String) {
        let yaml = Fixtures.examplePolicyYAML.replacingOccurrences(of: "names: { en: United States, de: USA, fr: États-Unis }", with: names)
        do {
            _ = try PolicyFile.load(yaml: yaml, source: "p")
            Issue.record("accepted \(names)")
        } catch ConsentError.invalidPolicy(_, let problems) {
            #expect(problems.contains { $0.path == path }, "\(problems)")
        } catch {
            Issue.record("\(error)")
        }
    }
}
