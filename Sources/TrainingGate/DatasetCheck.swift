import ConsentCore
import ConsentFormats
import Foundation

/// `consentry datasets verify`: is every registered dataset on disk exactly one of its
/// registered versions, with every file's SHA-256 as its manifest says, and does it hold no
/// member whose objection was upheld (an erasure stays done)?
public struct DatasetCheck: Sendable, Equatable {
    public var dataset: DatasetID
    /// The registered version the disk holds, when it holds one intact.
    public var versionOnDisk: Int?
    /// The version the store says is in place.
    public var currentVersion: Int?
    /// A purge interrupted before it recorded its outcome (settled by the next `consentry datasets purge`).
    public var pendingVersion: Int?
    /// What is wrong: a file missing or changed, a manifest that is no registered version.
    public var problems: [String]
    /// Members the version in place holds although their objection was upheld or completed.
    public var objectors: [HeldObjector] = []

    /// The disk holds a registered version, intact.
    public var isIntact: Bool { problems.isEmpty && versionOnDisk != nil }
    /// Intact, and no objector's data is in it.
    public var passes: Bool { isIntact && objectors.isEmpty }

    /// Checks `dataset` on disk; `heldObjectors` (from ``LineageStore/heldObjectors()``, any
    /// dataset's) names the objectors the store says it holds.
    public static func check(_ dataset: Dataset, heldObjectors: [HeldObjector] = []) -> DatasetCheck {
        var check = DatasetCheck(dataset: dataset.id, versionOnDisk: nil, currentVersion: dataset.current?.version,
                                 pendingVersion: dataset.pending?.version, problems: [])
        check.objectors = heldObjectors.filter { $0.dataset == dataset.id }
        let candidates = [dataset.current, dataset.pending].compactMap { $0 }
        let directory = DatasetPurge.directory(of: dataset)
        var onDisk: (DatasetVersion, DatasetManifest)?
        switch dataset.kind {
        case .export:
            let path = DatasetPurge.manifestPath(of: dataset)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                check.problems.append("\(path): missing or unreadable")
                return check
            }
            let digest = Digest.sha256Hex(text)
            guard let version = candidates.first(where: { $0.manifestSHA256 == digest }) else {
                check.problems.append("\(path): is not any registered version of the dataset (SHA-256 \(digest.prefix(12))…)")
                return check
            }
            guard let manifest = try? DatasetManifest.parse(version.manifestJSON, source: path) else {
                check.problems.append("the store's manifest of v\(version.version) is unreadable")
                return check
            }
            onDisk = (version, manifest)
        case .filter:
            guard let digest = try? FileDigest.sha256(of: dataset.location) else {
                check.problems.append("\(dataset.location): missing or unreadable")
                return check
            }
            for version in candidates {
                if let manifest = try? DatasetManifest.parse(version.manifestJSON, source: dataset.location),
                   manifest.files.first?.sha256 == digest {
                    onDisk = (version, manifest)
                }
            }
            guard onDisk != nil else {
                check.problems.append("\(dataset.location): is not any registered version of the dataset (SHA-256 \(digest.prefix(12))…)")
                return check
            }
        }
        guard let (version, manifest) = onDisk else { return check }
        if dataset.kind == .export {
            for file in manifest.files {
                let path = directory + "/" + file.name
                guard let digest = try? FileDigest.sha256(of: path) else {
                    check.problems.append("\(path): missing or unreadable (listed by v\(version.version))")
                    continue
                }
                if digest != file.sha256 { check.problems.append("\(path): SHA-256 differs from the manifest of v\(version.version)") }
            }
        }
        check.versionOnDisk = version.version
        return check
    }
}
