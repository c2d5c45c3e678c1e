import ConsentCore
import Foundation
import Yams

/// Reads policy files (YAML) and writes a policy's canonical form.
///
/// Scalars are read as the text written: `NO` stays the country Norway (never YAML 1.1's
/// false) and `version: 2025-11-03` stays a string. Every problem names its field path and line.
public enum PolicyFile {
    /// Parses and validates `yaml`, then computes its canonical form and SHA-256.
    /// - Throws: ``ConsentError/invalidPolicy(source:problems:)`` listing every problem found.
    public static func load(yaml: String, source: String, activatedAt: Date = Date()) throws -> PolicyVersion {
        let policy = try Policy.validated(try draft(yaml: yaml, source: source), source: source)
        let canonical = canonicalJSON(policy)
        return PolicyVersion(policy: policy, canonicalJSON: canonical, sha256: Digest.sha256Hex(canonical),
                             activatedAt: activatedAt)
    }

    /// Reads a file from disk; `source` in messages is the path as given.
    public static func load(path: String, activatedAt: Date = Date()) throws -> PolicyVersion {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConsentError.invalidPolicy(source: path, problems: [PolicyProblem(path: "", message: "cannot read the file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConsentError.invalidPolicy(source: path, problems: [PolicyProblem(path: "", message: "the file is not UTF-8 text")])
        }
        return try load(yaml: text, source: path, activatedAt: activatedAt)
    }

    /// The structural reading: types, required and unknown fields. Semantic rules are
    /// ``Policy/validated(_:source:)``'s.
    public static func draft(yaml: String, source: String) throws -> PolicyDraft {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConsentError.invalidPolicy(source: source, problems: [yamlProblem(error)])
        }
        var reader = DraftReader()
        guard let root else {
            throw ConsentError.invalidPolicy(source: source, problems: [PolicyProblem(path: "", message: "the file is empty")])
        }
        let draft = reader.read(root)
        guard reader.problems.isEmpty, let draft else {
            throw ConsentError.invalidPolicy(source: source, problems: reader.problems)
        }
        return draft
    }

    /// A term in days keeps the key and number policies always had (`response_days: 30`), so a
    /// policy in days has the SHA-256 it always had; one in months is `response: "1 month"`.
    static func canonicalTerms(_ terms: ObjectionTerms) -> [String: String] {
        var fields: [String: String] = [:]
        for (name, term) in [("response", terms.response), ("max_extension", terms.maxExtension)] {
            switch term {
            case .days(let days): fields[name + "_days"] = String(days)
            case .months: fields[name] = JSONWriter.string(term.description)
            }
        }
        return fields
    }

    /// Sorted keys, expanded categories, instants in UTC: equal policies give equal bytes.
    public static func canonicalJSON(_ policy: Policy) -> String {
        var fields: [String: String] = [
            "purpose": JSONWriter.string(policy.purpose),
            "version": JSONWriter.string(policy.version),
            "minimum_age": String(policy.minimumAge),
            "unknown_age": JSONWriter.string(policy.unknownAge.rawValue),
            "notice_days": String(policy.noticeDays),
            "honor_gpc": policy.honorGPC ? "true" : "false",
            "objections": JSONWriter.object(Self.canonicalTerms(policy.objectionTerms)),
            "categories": JSONWriter.object([
                "allow": JSONWriter.array(policy.allowedCategories.map { JSONWriter.string($0.rawValue) }),
            ]),
            "regions": JSONWriter.array(policy.regions.map { region in
                var fields = [
                    "id": JSONWriter.string(region.id),
                    "countries": JSONWriter.array(region.countries.map { JSONWriter.string($0.description) }),
                    "effective": JSONWriter.string(Timestamp.format(region.effective)),
                    "default": JSONWriter.string(region.defaultRule.rawValue),
                ]
                // Only when given: a policy without names keeps the bytes (and SHA-256) it had.
                if !region.names.isEmpty { fields["names"] = JSONWriter.object(region.names.mapValues(JSONWriter.string)) }
                return JSONWriter.object(fields)
            }),
        ]
        if let lookback = policy.lookbackStart {
            fields["lookback_start"] = JSONWriter.string(Timestamp.format(lookback))
        }
        return JSONWriter.object(fields)
    }

    private static func yamlProblem(_ error: YamlError) -> PolicyProblem {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PolicyProblem(path: "", message: "not valid YAML: \(problem)", line: mark.line)
        default:
            return PolicyProblem(path: "", message: "not valid YAML: \(error)")
        }
    }
}

/// Walks the YAML tree, collecting every structural problem rather than stopping at the first.
private struct DraftReader {
    var problems: [PolicyProblem] = []
    var lines: [String: Int] = [:]

    mutating func read(_ root: Node) -> PolicyDraft? {
        guard let top = mapping(root, path: "", known: ["purpose", "version", "minimum_age", "unknown_age", "notice_days",
                                                        "lookback_start", "honor_gpc", "objections", "categories", "regions"])
        else { return nil }
        let purpose = string(top["purpose"], path: "purpose", parent: root)
        let version = string(top["version"], path: "version", parent: root)
        let minimumAge = integer(top["minimum_age"], path: "minimum_age", parent: root)
        let unknownAge = top["unknown_age"].map { string($0, path: "unknown_age", parent: root) } ?? "exclude"
        let noticeDays = top["notice_days"].map { integer($0, path: "notice_days", parent: root) } ?? 0
        let lookback = top["lookback_start"].flatMap { isNull($0) ? nil : string($0, path: "lookback_start", parent: root) }
        let honorGPC = top["honor_gpc"].map { boolean($0, path: "honor_gpc", parent: root) } ?? true

        var response = Term.days(0), maxExtension = Term.days(0)
        if let node = required(top["objections"], path: "objections", parent: root),
           let objections = mapping(node, path: "objections", known: ["response", "max_extension", "response_days", "max_extension_days"]) {
            response = term(objections, "response", parent: node)
            maxExtension = term(objections, "max_extension", parent: node)
        }
        var allow: [String] = []
        if let node = required(top["categories"], path: "categories", parent: root),
           let categories = mapping(node, path: "categories", known: ["allow"]) {
            allow = strings(categories["allow"], path: "categories.allow", parent: node)
        }
        var regions: [PolicyDraft.RegionDraft] = []
        if let node = required(top["regions"], path: "regions", parent: root) {
            if case .sequence(let sequence) = node {
                for (index, element) in sequence.enumerated() {
                    let path = "regions[\(index)]"
                    guard let region = mapping(element, path: path, known: ["id", "countries", "effective", "default", "names"]) else { continue }
                    var names: [String: String] = [:]
                    if let node = region["names"], let named = mapping(node, path: "\(path).names", known: nil) {
                        for (language, value) in named { names[language] = string(value, path: "\(path).names.\(language)", parent: node) }
                    }
                    regions.append(PolicyDraft.RegionDraft(
                        id: string(region["id"], path: "\(path).id", parent: element),
                        countries: strings(region["countries"], path: "\(path).countries", parent: element),
                        effective: string(region["effective"], path: "\(path).effective", parent: element),
                        defaultRule: string(region["default"], path: "\(path).default", parent: element), names: names))
                }
            } else {
                problem("regions", "must be a list of regions", node)
            }
        }
        guard problems.isEmpty else { return nil }
        return PolicyDraft(purpose: purpose, version: version, minimumAge: minimumAge, unknownAge: unknownAge,
                           noticeDays: noticeDays, lookbackStart: lookback, honorGPC: honorGPC,
                           response: response, maxExtension: maxExtension, allow: allow,
                           regions: regions, lines: lines)
    }

    mutating func problem(_ path: String, _ message: String, _ node: Node?) {
        problems.append(PolicyProblem(path: path, message: message, line: node?.mark?.line))
    }

    /// The mapping's entries by key; reports unknown and repeated keys.
    /// The fields of a mapping; with `known`, any other field is a problem (nil: any key).
    mutating func mapping(_ node: Node, path: String, known: Set<String>?) -> [String: Node]? {
        guard case .mapping(let mapping) = node else {
            problem(path, "must be a mapping of fields", node)
            return nil
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.scalar?.string ?? ""
            let fieldPath = path.isEmpty ? key : "\(path).\(key)"
            if let line = value.mark?.line ?? keyNode.mark?.line { lines[fieldPath] = line }
            if let known, !known.contains(key) {
                problem(fieldPath, "unknown field; expected one of \(known.sorted().joined(separator: ", "))", keyNode)
            } else if result[key] != nil {
                problem(fieldPath, "appears twice", keyNode)
            } else {
                result[key] = value
            }
        }
        return result
    }

    mutating func required(_ node: Node?, path: String, parent: Node) -> Node? {
        guard let node, !isNull(node) else {
            problem(path, "is required", parent)
            return nil
        }
        return node
    }

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    mutating func string(_ node: Node?, path: String, parent: Node) -> String {
        guard let node = required(node, path: path, parent: parent) else { return "" }
        guard case .scalar(let scalar) = node else {
            problem(path, "must be a single value, not a list or mapping", node)
            return ""
        }
        return scalar.string
    }

    /// `name: 1 month` (or `30 days`), or the older `name_days: 30`; exactly one of the two.
    mutating func term(_ fields: [String: Node], _ name: String, parent: Node) -> Term {
        let path = "objections." + name
        switch (fields[name], fields[name + "_days"]) {
        case (let node?, nil):
            guard case .scalar(let scalar) = node, let term = Term(scalar.string) else {
                problem(path, "\(node.scalar.map { "\"\($0.string)\"" } ?? "this") is not a period such as \"1 month\" or \"30 days\"", node)
                return .days(0)
            }
            return term
        case (nil, let node?):
            return .days(integer(node, path: path + "_days", parent: parent))
        case (_?, _?):
            problem(path, "give \(name) or \(name)_days, not both", parent)
            return .days(0)
        case (nil, nil):
            problem(path, "is required (for example \(name): \(name == "response" ? "1 month" : "2 months"))", parent)
            return .days(0)
        }
    }

    mutating func integer(_ node: Node?, path: String, parent: Node) -> Int {
        guard let node = required(node, path: path, parent: parent) else { return 0 }
        guard case .scalar(let scalar) = node, scalar.style == .plain, let value = Int(scalar.string) else {
            problem(path, "\(node.scalar.map { "\"\($0.string)\"" } ?? "this") is not a whole number", node)
            return 0
        }
        return value
    }

    mutating func boolean(_ node: Node, path: String, parent: Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain,
              let value = ["true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false][scalar.string]
        else {
            problem(path, "\(node.scalar.map { "\"\($0.string)\"" } ?? "this") must be true or false", node)
            return true
        }
        return value
    }

    mutating func strings(_ node: Node?, path: String, parent: Node) -> [String] {
        guard let node = required(node, path: path, parent: parent) else { return [] }
        guard case .sequence(let sequence) = node else {
            problem(path, "must be a list", node)
            return []
        }
        var result: [String] = []
        for (index, element) in sequence.enumerated() {
            let elementPath = "\(path)[\(index)]"
            if let line = element.mark?.line { lines[elementPath] = line }
            guard case .scalar(let scalar) = element else {
                problem(elementPath, "must be a single value", element)
                continue
            }
            result.append(scalar.string)
        }
        return result
    }
}
