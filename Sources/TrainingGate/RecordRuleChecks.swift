import ConsentCore
import ConsentFormats
import Foundation

/// What the gate checks before reading a byte: that it can apply every record rule the policy
/// and the store's objections ask for. When it cannot tell, it does not run (the CLI exits 64).
extension GateFilter {
    /// Refuses a run that cannot apply the policy's record rules: see ``checkCategories(_:_:)``
    /// and ``checkTimes(_:_:)``.
    public static func checkRecordRules(_ decisions: GateDecisions, _ options: FilterOptions) throws {
        guard options.checksRecordRules else { return }
        try checkCategories(decisions, options)
        try checkTimes(decisions, options)
        try checkText(decisions, options)
    }

    /// Refuses a run that could keep records naming someone who objected without being a
    /// member: with such objections pending or upheld, the field their names and links may
    /// appear in must be named (`--text-field`), or `--no-text` must say there is none.
    static func checkText(_ decisions: GateDecisions, _ options: FilterOptions) throws {
        if options.textField != nil, options.noText { throw GateError.usage("give --text-field or --no-text, not both") }
        guard !decisions.thirdParty.isEmpty, options.textField == nil, !options.noText else { return }
        throw GateError.usage("""
            \(decisions.thirdParty.count) \(decisions.thirdParty.count == 1 ? "person who is not a member objects" : "people who are not members object"), \
            and records that name them may not be used: name the field whose text may name them with --text-field F, or say the \
            records hold no such text with --no-text (the member field is checked either way)
            """)
    }

    /// Refuses a run whose records' category is unknown, or that could keep nothing: a category
    /// must be named (`--category`, or `--category-field` per record), the source must know which
    /// categories the policy allows, and a `--category` it does not allow is refused up front.
    static func checkCategories(_ decisions: GateDecisions, _ options: FilterOptions) throws {
        if options.category != nil, options.categoryField != nil {
            throw GateError.usage("give --category or --category-field, not both")
        }
        guard options.category != nil || options.categoryField != nil else {
            throw GateError.usage("""
                say what the records are: --category C (one of the taxonomy, e.g. content.posts) when every record is of one \
                category, or --category-field F when each record names its own; records of a category the policy does not allow \
                are never kept, so the gate does not run without knowing
                """)
        }
        guard let allowed = decisions.allowedCategories else {
            throw GateError.usage("""
                \(decisions.source) says nothing of the categories the policy allows: give the policy it was made under with \
                --policy FILE (`consentry policy show > policy.yaml`), or decide with --snapshot or --db
                """)
        }
        if let category = options.category, !allowed.contains(category) {
            let why = category.isNeverAllowed ? "is never used for training, under any policy"
                                              : "is not allowed by policy \(decisions.policyVersion ?? "in force")"
            throw GateError.usage("--category \(category.rawValue) \(why): no record would be kept, so nothing is written")
        }
    }

    /// Refuses a run that would keep records made while their member was under the minimum age,
    /// or before the look-back start, without seeing it: under a policy with either, the records'
    /// time must be read (`--time-field`), or `--no-record-times` must say there is none (then
    /// every member who was a minor in the window is left out whole). An exclusions list holds no
    /// birth dates, so under a minimum age it must itself list every member who was a minor in
    /// the window (`consentry exclusions --minors-in-window`), since at least the policy's window.
    static func checkTimes(_ decisions: GateDecisions, _ options: FilterOptions) throws {
        if options.timeField != nil, options.noRecordTimes { throw GateError.usage("give --time-field or --no-record-times, not both") }
        var rules: [String] = []
        if let age = decisions.minimumAge { rules.append("a minimum age of \(age)") }
        if let start = decisions.lookbackStart { rules.append("a look-back start of \(Timestamp.format(start))") }
        guard !rules.isEmpty else { return }
        if options.timeField == nil, !options.noRecordTimes {
            throw GateError.usage("""
                the policy sets \(rules.joined(separator: " and ")): name the field with each record's creation time with \
                --time-field F, or say the records have none with --no-record-times (then every record of a member who was \
                under the minimum age at any time in the window is left out)
                """)
        }
        guard decisions.unknownIsEligible, let age = decisions.minimumAge else { return }
        guard let listed = decisions.minorsListed else {
            throw GateError.usage("""
                \(decisions.source) holds no birth dates, so it cannot find records made by members under \(age): make it with \
                `consentry exclusions --minors-in-window`, which also lists every member who was under \(age) in the window, \
                or decide with --snapshot or --db
                """)
        }
        if let since = listed.since, decisions.lookbackStart.map({ since > $0 }) ?? true {
            throw GateError.usage("""
                \(decisions.source) lists the members who were minors only since \(Timestamp.format(since)), and the policy's \
                window starts \(decisions.lookbackStart.map(Timestamp.format) ?? "at no date"): make the list again under this policy
                """)
        }
    }
}
