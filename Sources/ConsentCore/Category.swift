/// One kind of member data, from the fixed dotted taxonomy (`account.name`, `service.ip_address`, …).
///
/// A policy allows categories by leaf or by prefix (`profile` means every `profile.*`).
/// Some categories can never be allowed for training, whatever a policy says.
public enum Category: String, CaseIterable, Sendable, Comparable, Codable {
    case accountName = "account.name"
    case accountEmail = "account.email"
    case accountLogin = "account.login"
    case accountTwoFactor = "account.two_factor"
    case accountSubscription = "account.subscription"
    case accountPayment = "account.payment"
    case preferencesLanguage = "preferences.language"
    case preferencesSettings = "preferences.settings"
    case serviceIPAddress = "service.ip_address"
    case serviceDeviceID = "service.device_id"
    case serviceBrowser = "service.browser"
    case serviceOperatingSystem = "service.operating_system"
    case servicePlatform = "service.platform"
    case serviceLocation = "service.location"
    case serviceCookieID = "service.cookie_id"
    case profileHeadline = "profile.headline"
    case profileSummary = "profile.summary"
    case profileExperience = "profile.experience"
    case profileEducation = "profile.education"
    case profileSkills = "profile.skills"
    case profilePhoto = "profile.photo"
    case contentPosts = "content.posts"
    case contentComments = "content.comments"
    case contentArticles = "content.articles"
    case messagesPrivate = "messages.private"

    /// Credentials, second-factor secrets, payment card data and private messages: never used.
    public static let neverAllowed: Set<Category> = [.accountLogin, .accountTwoFactor, .accountPayment, .messagesPrivate]

    /// The top-level groups, each usable as a prefix in a policy.
    public static var groups: [String] {
        var seen: [String] = []
        for category in allCases where !seen.contains(category.group) { seen.append(category.group) }
        return seen
    }

    /// The part before the dot: `account`, `preferences`, `service`, `profile`, `content`, `messages`.
    public var group: String { String(rawValue.prefix(while: { $0 != "." })) }

    public var isNeverAllowed: Bool { Category.neverAllowed.contains(self) }

    /// The categories a policy entry names: a leaf names itself, a group names every leaf
    /// under it; nil when the entry is neither.
    public static func expanding(_ entry: String) -> [Category]? {
        if let leaf = Category(rawValue: entry) { return [leaf] }
        let leaves = allCases.filter { $0.group == entry }
        return leaves.isEmpty ? nil : leaves
    }

    public static func < (lhs: Category, rhs: Category) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The case's place in ``allCases``, read from its one-byte representation. Hashing and
    /// comparing by it spares hashing the raw string: imports look categories up millions of
    /// times.
    public var position: Int { Int(unsafeBitCast(self, to: UInt8.self)) }

    public func hash(into hasher: inout Hasher) { hasher.combine(position) }

    public static func == (lhs: Category, rhs: Category) -> Bool { lhs.position == rhs.position }

    private static let utf8Names: [[UInt8]] = allCases.map { Array($0.rawValue.utf8) }

    /// The category named by these UTF-8 bytes, without making a string.
    public init?(utf8 name: UnsafeBufferPointer<UInt8>) {
        for (position, candidate) in Self.utf8Names.enumerated()
        where candidate.count == name.count && candidate.withUnsafeBufferPointer({ $0.elementsEqual(name) }) {
            self = Self.allCases[position]
            return
        }
        return nil
    }
}
