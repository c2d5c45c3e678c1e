import ConsentCore
import ConsentFormats
import Foundation

/// The texts of the pages and the explanation sentences in one language: a catalog under
/// `Resources/locales/LANG.json`, flat keys to texts with `{name}` placeholders. English is
/// the reference; every catalog holds the same keys (a test checks it).
///
/// A page is shown in the language of the `consentry-language` cookie (set by the switcher on
/// every page), else the first of the browser's `Accept-Language` that there is a catalog for,
/// else English.
public struct Catalog: Sendable {
    /// `en`, `de`, `fr`.
    public let code: String
    let texts: [String: String]

    /// Every catalog, English first.
    public static let all: [Catalog] = [
        load("en", PackageResources.en_json), load("de", PackageResources.de_json), load("fr", PackageResources.fr_json),
    ]
    public static let english = all[0]

    public static func named(_ code: String) -> Catalog? { all.first { $0.code == code } }

    private static func load(_ code: String, _ bytes: [UInt8]) -> Catalog {
        guard case .object(let members)? = try? JSONParser.parse(String(decoding: bytes, as: UTF8.self)) else {
            preconditionFailure("Resources/locales/\(code).json is not a JSON object")
        }
        var texts: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let text) = value else { preconditionFailure("Resources/locales/\(code).json: \(key) is not a string") }
            texts[key] = text
        }
        return Catalog(code: code, texts: texts)
    }

    /// The keys of the catalog.
    public var keys: Set<String> { Set(texts.keys) }

    /// The text for `key`, with each `{name}` replaced by `values[name]`. A key the catalog
    /// lacks falls back to English (the test keeps that from happening).
    public func text(_ key: String, _ values: [String: String] = [:]) -> String {
        let text = texts[key] ?? Catalog.english.texts[key] ?? key
        return values.isEmpty ? text : Self.fill(text, values)
    }

    /// `template` with each `{name}` that `values` names replaced, in one pass: a value is
    /// never searched for placeholders itself, and an unknown `{name}` stays as written. (Every
    /// page and API answer fills several texts, so this runs on each request.)
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var filled = ""
        var utf8 = template.utf8[...]
        while let open = utf8.firstIndex(of: UInt8(ascii: "{")) {
            filled += Substring(utf8[..<open])
            let rest = utf8[utf8.index(after: open)...]
            guard let close = rest.firstIndex(of: UInt8(ascii: "}")), let value = values[String(Substring(rest[..<close]))] else {
                filled += "{"
                utf8 = rest
                continue
            }
            filled += value
            utf8 = rest[rest.index(after: close)...]
        }
        filled += Substring(utf8)
        return filled
    }

    /// Every text of the catalog, for the templates: `{{t.setting.title}}` reads `t` → `setting` → `title`.
    var templateTexts: [String: Any] {
        var tree: [String: Any] = [:]
        for (key, text) in texts {
            let parts = key.split(separator: ".").map(String.init)
            tree = Self.insert(text, at: parts[...], into: tree)
        }
        return tree
    }

    private static func insert(_ text: String, at path: ArraySlice<String>, into tree: [String: Any]) -> [String: Any] {
        var tree = tree
        guard let first = path.first else { return tree }
        if path.count == 1 {
            tree[first] = text
        } else {
            tree[first] = insert(text, at: path.dropFirst(), into: tree[first] as? [String: Any] ?? [:])
        }
        return tree
    }

    /// "3 November 2025", "3. November 2025", "3 novembre 2025" (UTC).
    public func longDate(_ instant: Date) -> String {
        let date = CivilDate(instant)
        return text("date.long", ["day": String(date.day), "month": text("month.\(date.month)"), "year": String(date.year)])
    }

    /// `1,234`, `1.234`, `1 234`.
    public func number(_ value: Int) -> String {
        let digits = String(value.magnitude)
        let separator = text("number.group")
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += separator }
            grouped.append(digit)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    /// `12.5`, `12,5`: `places` decimals, with the language's decimal mark.
    public func decimal(_ value: Double, places: Int = 1) -> String {
        let fixed = String(format: "%.\(places)f", value)
        return fixed.replacingOccurrences(of: ".", with: text("number.decimal"))
    }

    /// A fraction as a percentage with one decimal: `12.5%`, `12,5 %`, `12,5 %`.
    public func percent(_ fraction: Double) -> String {
        text("number.percent", ["value": decimal(fraction * 100)])
    }

    /// "3 November 2025, 14:05 UTC", in the language's order (UTC).
    public func dateTime(_ instant: Date) -> String {
        let minutes = Int((instant.timeIntervalSince1970 / 60).rounded(.down)) % 1440
        let minuteOfDay = minutes < 0 ? minutes + 1440 : minutes
        let time = String(format: "%02d:%02d", minuteOfDay / 60, minuteOfDay % 60)
        return text("date.long_time", ["date": longDate(instant), "time": time])
    }

    /// The category in words.
    public func category(_ category: Category) -> String { text("category." + category.rawValue) }

    public func channel(_ channel: Channel) -> String { text("channel." + channel.rawValue) }

    /// The name of the cookie that keeps the language a person chose.
    public static let cookieName = "consentry-language"

    /// The catalog for a request: the chosen language (cookie), else the first language of
    /// `Accept-Language` (by its q-values) there is a catalog for, else English.
    public static func negotiate(cookie: String?, acceptLanguage: String?) -> Catalog {
        if let cookie, let chosen = named(cookie) { return chosen }
        guard let acceptLanguage else { return english }
        var ranges: [(code: String, quality: Double, position: Int)] = []
        for (position, item) in acceptLanguage.split(separator: ",").enumerated() {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let range = parts.first, !range.isEmpty else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            let primary = range.split(separator: "-").first.map { $0.lowercased() } ?? ""
            if quality > 0 { ranges.append((primary, quality, position)) }
        }
        for range in ranges.sorted(by: { ($0.quality, -$0.position) > ($1.quality, -$1.position) }) {
            if let found = named(range.code) { return found }
        }
        return english
    }
}
