import ConsentCore
import ConsentFormats
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import ConsentServer
import ConsentTesting

/// The pages' catalogs (Resources/locales): complete in every language, and chosen as a person expects.
struct LocalizationTests {
    static let templates = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/ConsentServer/Resources/templates")

    func placeholders(_ text: String) -> Set<String> {
        Set(text.split(separator: "{", omittingEmptySubsequences: false).dropFirst().compactMap { $0.split(separator: "}").first.map(String.init) })
    }

    @Test func everyCatalogHoldsEveryTextWithTheSamePlaceholders() {
        let english = Catalog.english
        for catalog in Catalog.all {
            #expect(catalog.keys == english.keys, "\(catalog.code): missing \(english.keys.subtracting(catalog.keys).sorted()), extra \(catalog.keys.subtracting(english.keys).sorted())")
            for key in english.keys {
                let text = catalog.text(key)
                #expect(!text.trimmingCharacters(in: .whitespaces).isEmpty || key == "number.group", "\(catalog.code): \(key) is empty")
                #expect(placeholders(text) == placeholders(english.text(key)), "\(catalog.code): \(key) has other placeholders than English")
            }
        }
    }

    @Test func noKeyIsAlsoTheGroupOfAnother() {
        // Templates read `{{t.a.b}}` through a tree: `a.b` cannot be a text and a group at once.
        let keys = Catalog.english.keys
        #expect(keys.filter { key in keys.contains { $0.hasPrefix(key + ".") } }.sorted() == [])
    }

    @Test func everyReasonChannelCategoryAndMonthHasItsText() {
        var needed = Reason.allCases.map { "explanation." + $0.rawValue } + Channel.allCases.map { "channel." + $0.rawValue }
        needed += Category.allCases.map { "category." + $0.rawValue } + (1...12).map { "month.\($0)" }
        for catalog in Catalog.all {
            #expect(needed.filter { !catalog.keys.contains($0) } == [], "\(catalog.code)")
        }
    }

    @Test func everyTextATemplateNamesIsInTheCatalog() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.templates.path).filter { $0.hasSuffix(".mustache") }
        #expect(files.count >= 10)
        var named = 0
        for file in files {
            let text = try String(contentsOf: Self.templates.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: /\{\{t\.([a-z0-9_.]+)\}\}/) {
                named += 1
                #expect(Catalog.english.keys.contains(String(match.1)), "\(file): {{t.\(match.1)}} is in no catalog")
            }
        }
        #expect(named > 40)
    }

    @Test(arguments: [
        (nil, "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7", "fr"), (nil, "xx, de;q=0.5", "de"), (nil, "en-US,en;q=0.9", "en"),
        (nil, "es, it;q=0.8", "en"), (nil, nil, "en"), ("de", "fr", "de"), ("xx", "fr", "fr"), (nil, "de;q=0, fr;q=0.1", "fr"),
    ] as [(String?, String?, String)])
    func theLanguageIsTheChosenOneElseTheBrowsersElseEnglish(_ cookie: String?, _ accept: String?, _ expected: String) {
        #expect(Catalog.negotiate(cookie: cookie, acceptLanguage: accept).code == expected)
    }

    @Test func placeholdersAreFilledInOnePassAndUnknownOnesStay() {
        #expect(Catalog.fill("{a} and {b}, {a}", ["a": "x", "b": "é"]) == "x and é, x")
        // A value is never searched for placeholders itself: a member's text cannot pull in another.
        #expect(Catalog.fill("{a}{b}", ["a": "{b}", "b": "2"]) == "{b}2")
        #expect(Catalog.fill("{unknown} {a} {", ["a": "1"]) == "{unknown} 1 {")
        #expect(Catalog.fill("no braces", ["a": "1"]) == "no braces" && Catalog.fill("{}", ["": "empty"]) == "empty")
        #expect(Catalog.fill("«{a}» — {a}", ["a": "März"]) == "«März» — März")
    }

    @Test func datesAndNumbersAreWrittenAsTheLanguageWritesThem() {
        let day = Timestamp.parse("2026-03-01T10:00:00Z")!
        #expect(Catalog.named("en")!.longDate(day) == "1 March 2026")
        #expect(Catalog.named("de")!.longDate(day) == "1. März 2026")
        #expect(Catalog.named("fr")!.longDate(day) == "1 mars 2026")
        #expect(Catalog.named("en")!.number(1_234_567) == "1,234,567" && Catalog.named("de")!.number(1_234) == "1.234")
        #expect(Catalog.named("fr")!.number(12_345) == "12\u{202F}345")
        #expect(Catalog.named("en")!.percent(0.125) == "12.5%" && Catalog.named("de")!.percent(0.125) == "12,5\u{00A0}%")
        #expect(Catalog.named("fr")!.percent(0.0004) == "0,0\u{202F}%" && Catalog.named("de")!.decimal(3.25, places: 2) == "3,25")
        let late = Timestamp.parse("2026-03-01T23:59:30Z")!
        #expect(Catalog.named("en")!.dateTime(late) == "1 March 2026, 23:59 UTC")
        #expect(Catalog.named("de")!.dateTime(late) == "1. März 2026, 23:59 Uhr UTC")
        #expect(Catalog.named("fr")!.dateTime(day) == "1 mars 2026 à 10:00 UTC")
    }

    /// Every kind of outbox event has a subject and a text in every language: each key exists
    /// and renders without a placeholder left over, codes and their expiry included.
    @Test func everyOutboxEventHasItsMessageInEveryLanguage() throws {
        let at = Timestamp.parse("2026-03-01T10:00:00Z")!
        let terms = ObjectionTerms(responseDays: 30, maxExtensionDays: 60)
        for catalog in Catalog.all {
            let filed = Objection.file(id: ObjectionID(rawValue: "obj_0000000000000001"), member: MemberID("m")!, at: at, reason: nil,
                                       language: catalog.code, terms: terms)
            let extended = try filed.extending(by: .days(10), reason: "why", at: at, maxExtension: .days(60))
            let steps = try extended.deciding(.uphold, reason: "yes", at: at).timeline
                + [.decided(at: at, outcome: .reject, reason: "no"), .completed(at: at, reason: "purged")]
            var events = steps.enumerated().map { index, step in
                OutboxEvent(id: "evt_\(index)", sequence: Int64(index), type: OutboxEvent.type(of: step), subject: filed.id.rawValue,
                            payloadJSON: OutboxPayloads.objection(step, of: extended, email: nil, eventID: "evt_\(index)", type: OutboxEvent.type(of: step)),
                            createdAt: at)
            }
            let request = try ObjectionRequest.new(email: "a@b.example", identifiers: ["x"], reason: nil, language: catalog.code, at: at)
            events.append(OutboxEvent(id: "evt_r", sequence: 10, type: OutboxEvent.verificationType, subject: request.id,
                                      payloadJSON: OutboxPayloads.verification(request, eventID: "evt_r"), createdAt: at, code: "12345678"))
            let verification = EmailVerification(id: "ver_1", member: MemberID("m")!, email: "a@b.example", createdAt: at)
            events.append(OutboxEvent(id: "evt_v", sequence: 11, type: OutboxEvent.emailVerificationType, subject: "ver_1",
                                      payloadJSON: OutboxPayloads.emailVerification(verification, language: catalog.code, eventID: "evt_v"),
                                      createdAt: at, code: "87654321"))
            #expect(Set(events.map(\.type)).count == 7)
            for event in events {
                let message = try #require(OutboxMessages.message(for: event), "\(catalog.code) \(event.type)")
                #expect(!message.subject.contains("{") && !message.text.contains("{") && !message.text.contains("mail."),
                        "\(catalog.code) \(event.type): \(message)")
                #expect(message.subject == catalog.text("mail.\(Self.mailKey(event.type)).subject"), "\(catalog.code) \(event.type)")
                if let code = event.code {
                    let expires = event.type == OutboxEvent.verificationType ? request.expiresAt : verification.expiresAt
                    #expect(message.text.contains(code) && message.text.contains(catalog.dateTime(expires)), "\(message.text)")
                }
            }
            var delivered = events[events.count - 1]
            delivered.code = nil
            #expect(OutboxMessages.message(for: delivered) == nil, "a code event whose code is forgotten has nothing to send")
        }
    }

    static func mailKey(_ type: String) -> String {
        switch type {
        case OutboxEvent.verificationType: "code"
        case OutboxEvent.emailVerificationType: "email_code"
        default: String(type.dropFirst("objection.".count))
        }
    }

    @Test func theExplanationIsInTheLanguage() throws {
        let policy = try PolicyFile.load(yaml: ConsentTestingPolicy.yaml, source: "p").policy
        let latest = ConsentHistory.Entry(at: Timestamp.parse("2026-01-15T12:00:00Z")!, choice: .off, channel: .ios)
        let decision = Decision(reason: .optedOut, regionIndex: 1)
        #expect(Explanation.sentence(for: decision, policy: policy, latest: latest) == "Off — you turned this off on 15 January 2026 (iOS app)")
        #expect(Explanation.sentence(for: decision, policy: policy, latest: latest, in: Catalog.named("de")!)
                == "Aus — Sie haben dies am 15. Januar 2026 (iOS-App) ausgeschaltet")
        #expect(Explanation.sentence(for: Decision(reason: .minor, regionIndex: 1), policy: policy, latest: nil, in: Catalog.named("fr")!)
                == "Désactivé — les membres de moins de 18 ans ne sont jamais inclus")
    }

    @Test func theSettingPageSpeaksTheBrowsersLanguageAndTheSwitcherRemembersAChoice() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            let cookie = try await SignInFlow.signIn(client, harness, as: "urn:li:member:eu", role: .member, landing: "/settings/data-privacy")
            try await client.execute(uri: "/settings/data-privacy/generative-ai", method: .get,
                                     headers: [.cookie: cookie, .acceptLanguage: "de-DE,de;q=0.9,en;q=0.5"]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"<html lang="de">"#) && html.contains("<h1>Daten zur Verbesserung generativer KI</h1>"))
                #expect(html.contains("An — in Ihrer Region (Europa) seit dem 3. November 2025 standardmäßig verwendet"), "the region named in the policy file, in German")
                #expect(html.contains(#"<a href="/language?to=fr&amp;next=%2Fsettings%2Fdata%2Dprivacy%2Fgenerative%2Dai" lang="fr" hreflang="fr">Français</a>"#))
            }
            let chosen = try await client.execute(uri: "/language?to=fr&next=/settings/data-privacy", method: .get) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/settings/data-privacy")
                let set = try #require(response.headers[.setCookie])
                #expect(set.hasPrefix("consentry-language=fr;") && set.contains("Secure"))
                return String(set.prefix { $0 != ";" })
            }
            try await client.execute(uri: "/settings/data-privacy", method: .get,
                                     headers: [.cookie: cookie + "; " + chosen, .acceptLanguage: "de"]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"<html lang="fr">"#) && html.contains("<h1>Confidentialité des données</h1>"), "the choice wins over the browser")
            }
            try await client.execute(uri: "/language?to=xx", method: .get) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/language?to=de&next=https://evil.example/", method: .get) { response in
                #expect(response.headers[.location] == "/settings/data-privacy", "never away from this site")
            }
        }
    }
}

enum ConsentTestingPolicy {
    static var yaml: String { ConsentTesting.Fixtures.examplePolicyYAML }
}

/// The apps' JSON: the explanation in the language the app asks for.
struct APILanguageTests {
    @Test func theSettingsExplanationFollowsAcceptLanguageAndSaysWhichLanguageItIs() async throws {
        let harness = try await Harness()
        let token = try await harness.token("urn:li:member:eu")
        try await harness.app.test(.router) { client in
            for (accept, code, words) in [("de-DE,de;q=0.9", "de", "An — in Ihrer Region (Europa)"), ("fr", "fr", "Activé — utilisé par défaut"),
                                          ("es", "en", "On — used by default in your region (Europe)"), ("de", "de", "An — in Ihrer Region")] {
                try await client.execute(uri: "/api/v1/me/ai-training", method: .get,
                                         headers: [.authorization: "Bearer \(token)", .acceptLanguage: accept]) { response in
                    #expect(response.headers[.contentLanguage] == code)
                    #expect(String(buffer: response.body).contains(words), "\(accept)")
                }
            }
            // The English body is cached per member; asking in German afterwards still gets German.
            try await client.execute(uri: "/api/v1/me/ai-training", method: .get, headers: [.authorization: "Bearer \(token)"]) { response in
                #expect(response.headers[.contentLanguage] == "en" && String(buffer: response.body).contains("On — used by default"))
            }
            try await client.execute(uri: "/api/v1/me/ai-training", method: .put,
                                     headers: [.authorization: "Bearer \(token)", .acceptLanguage: "fr", .contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"enabled": false}"#)) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("Désactivé — vous l'avez désactivé"))
            }
        }
    }
}
