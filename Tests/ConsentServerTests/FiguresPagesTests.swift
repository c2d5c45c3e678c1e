import ConsentCore
import ConsentServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The privacy team's dashboard (`/admin`) and the public transparency page (`/transparency`).
struct FiguresPagesTests {
    /// The text of each `<dd>` after a `<dt>` with `term`.
    func figure(_ term: String, in html: String) -> String? {
        guard let start = html.range(of: "<dt>\(term)</dt><dd>") else { return nil }
        return String(html[start.upperBound...].prefix { $0 != "<" })
    }

    @Test func theDashboardIsForThePrivacyTeamOnlyAndShowsEveryFigure() async throws {
        let harness = try await Harness()
        let summary = try await harness.store.decisionView(now: Harness.now).summary(at: Harness.now)
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/admin", method: .get) { #expect($0.status == .unauthorized) }
            let member = try await SignInFlow.signIn(client, harness, as: "urn:li:member:eu", role: .member, landing: "/settings/data-privacy")
            try await client.execute(uri: "/admin", method: .get, headers: [.cookie: member]) { #expect($0.status == .forbidden) }
            let staff = try await SignInFlow.signIn(client, harness, as: "dana@privacy", role: .privacy, landing: "/admin/objections")
            try await client.execute(uri: "/admin", method: .get, headers: [.cookie: staff]) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(figure("Members", in: html) == String(summary.members), "nothing withheld for the privacy team")
                #expect(figure("Whose data may be used", in: html) == String(summary.eligible))
                #expect(!html.contains("fewer than"))
                let charts = html.components(separatedBy: "<figure class=\"chart\"").count - 1
                #expect(charts == 8)
                #expect(html.components(separatedBy: "<details class=\"figures\">").count - 1 == charts, "each chart has its table")
                #expect(html.components(separatedBy: "<svg viewBox=").count - 1 == charts)
                #expect(html.contains("No purge removed anyone in these weeks."))
            }
        }
    }

    @Test func theTransparencyPageNeedsNoSignInAndWithholdsSmallCounts() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/transparency", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(figure("Members", in: html) == "fewer than 10", "4 members: withheld")
                #expect(html.contains("<strong>Europe</strong>") && html.contains("Never used:"), "the policy in plain words")
                #expect(html.range(of: #"<td>[1-9]</td>|<dd>[1-9]</dd>"#, options: .regularExpression) == nil, "no figure from 1 to 9 in a table")
                #expect(html.range(of: #"</rect><text [^>]*>[1-9]</text>"#, options: .regularExpression) == nil, "nor on a bar")
            }
        }
        try await harness.app(now: { Harness.now }, configure: { $0.transparencyMinimumCount = 1 }).test(.router) { client in
            try await client.execute(uri: "/transparency", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(figure("Members", in: html) == "4", "with a minimum of 1, nothing is withheld")
                #expect(html.range(of: #"<td>[1-9]</td>|<dd>[1-9]</dd>"#, options: .regularExpression) != nil, "the check above would see them")
            }
        }
    }

    @Test func thePublicFiguresAreReusedForFiveMinutesAndTheDashboardIsAlwaysFresh() async throws {
        let harness = try await Harness()
        let clock = TestClock(Harness.now)
        let app = harness.app(now: { clock.now }, configure: { $0.transparencyMinimumCount = 1 })
        try await app.test(.router) { client in
            let before = try await client.execute(uri: "/transparency", method: .get) { figure("Whose data may be used", in: String(buffer: $0.body)) }
            _ = try await harness.store.recordChoice(ConsentEvent(member: MemberID("urn:li:member:eu")!, choice: .off, channel: .web,
                                                                   at: Harness.now, actor: "test"))
            let cached = try await client.execute(uri: "/transparency", method: .get) { figure("Whose data may be used", in: String(buffer: $0.body)) }
            #expect(cached == before, "one computation serves the page for five minutes")
            let staff = try await SignInFlow.signIn(client, harness, as: "dana@privacy", role: .privacy, landing: "/admin/objections")
            let fresh = try await client.execute(uri: "/admin", method: .get, headers: [.cookie: staff]) { figure("Whose data may be used", in: String(buffer: $0.body)) }
            #expect(fresh != before && fresh != nil, "the privacy team sees the figures as they are")
            clock.advance(by: 301)
            let later = try await client.execute(uri: "/transparency", method: .get) { figure("Whose data may be used", in: String(buffer: $0.body)) }
            #expect(later == fresh)
        }
    }

    @Test func theTransparencyPageSpeaksTheReadersLanguage() async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/transparency", method: .get, headers: [.acceptLanguage: "de"]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains(#"<html lang="de">"#) && html.contains("Transparenzbericht: Mitgliederdaten und generative KI"))
                #expect(figure("Mitglieder", in: html) == "weniger als 10")
                #expect(html.contains("<strong>Europa</strong>") && html.contains("seit dem 3. November 2025"))
            }
            try await client.execute(uri: "/transparency", method: .get, headers: [.acceptLanguage: "fr"]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Semaine par semaine") && html.contains("Jamais utilisées"))
            }
        }
    }

    @Test(arguments: ["from=yesterday", "to=", "from=2026-01-10&to=2026-01-01", "from=2020-01-01&to=2026-01-01"])
    func aBadWindowIsRefusedSayingWhy(_ query: String) async throws {
        let harness = try await Harness()
        try await harness.app.test(.router) { client in
            try await client.execute(uri: "/transparency?" + query, method: .get) { response in
                // Malformed: 400; well-formed but not a window the figures cover: 422.
                #expect(response.status == (query.hasPrefix("from=20") ? .unprocessableContent : .badRequest))
                #expect(String(buffer: response.body).contains(query.hasPrefix("from=2020") ? "106 weeks" : query.hasPrefix("to") ? "query to" : "from"))
            }
        }
    }
}
