/// Policies used by the demo, the tests and the benchmarks.
public enum Fixtures {
    /// The example policy, identical to `examples/policy.yaml` (a test keeps them equal).
    public static let examplePolicyYAML = #"""
# The policy for using member data to train generative AI models.
# Apply it with: consentry policy apply examples/policy.yaml
purpose: genai-training
version: "2025-11-03"
minimum_age: 18
unknown_age: exclude          # exclude | include
notice_days: 0                # member must have been notified at least this many days before use; 0 = no per-member notice needed
lookback_start: 2020-01-01    # optional: records created before this are never used (enforced by the gate)
honor_gpc: true
objections: { response: 1 month, max_extension: 2 months }   # calendar months (GDPR Art. 12(3)); days also work: { response: 30 days, ... }
categories:
  allow: [profile, content.posts, content.comments, account.name, preferences.language, service.platform]
regions:
  - { id: us, countries: [US], effective: 2024-09-18, default: included }
  - { id: europe, countries: [AT, BE, BG, HR, CY, CZ, DK, EE, FI, FR, DE, GR, HU, IE, IT, LV, LT, LU, MT, NL, PL, PT, RO, SK, SI, ES, SE, IS, LI, NO, CH, GB], effective: 2025-11-03, default: included }
  - { id: canada-hong-kong, countries: [CA, HK], effective: 2025-11-03, default: excluded }

"""#
}
