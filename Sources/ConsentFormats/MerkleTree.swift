import Crypto
import Foundation

/// A SHA-256 hash of the Merkle tree: a leaf's, a node's or a tree head's.
public struct TreeHash: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    /// The hash whose bytes are `bytes`; nil unless they are exactly 32.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { $0.copyBytes(from: bytes) }
    }

    init(_ digest: SHA256.Digest) {
        words = (0, 0, 0, 0)
        digest.withUnsafeBytes { source in withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: source) } }
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }
    public var base64: String { Data(bytes).base64EncodedString() }
    public var hex: String { withUnsafeBytes { Digest.hex($0) } }
    public var description: String { hex }

    public static func == (lhs: TreeHash, rhs: TreeHash) -> Bool { lhs.words == rhs.words }
    public func hash(into hasher: inout Hasher) { withUnsafeBytes { hasher.combine(bytes: $0) } }
}

/// The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0): leaf hashes
/// SHA-256(0x00 || leaf), node hashes SHA-256(0x01 || left || right), the tree head (MTH) of any
/// size, and the audit paths (inclusion proofs) and consistency proofs between sizes, with the
/// RFC's verification algorithms. Anyone can check a proof with these few lines and SHA-256.
public enum MerkleTree {
    /// MTH({}): the hash of no bytes.
    public static let emptyRoot = TreeHash(SHA256.hash(data: [UInt8]()))

    public static func leafHash(_ leaf: some DataProtocol) -> TreeHash {
        var hasher = SHA256()
        hasher.update(data: [0x00])
        hasher.update(data: leaf)
        return TreeHash(hasher.finalize())
    }

    public static func nodeHash(_ left: TreeHash, _ right: TreeHash) -> TreeHash {
        var hasher = SHA256()
        hasher.update(data: [0x01])
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return TreeHash(hasher.finalize())
    }

    /// The largest power of two smaller than `n` (n > 1).
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH(D[n]) of the leaves whose hashes are `leaves`, in O(n) time and O(log n) memory.
    public static func root(_ leaves: some Collection<TreeHash>) -> TreeHash {
        var range = CompactRange()
        for leaf in leaves { range.append(leaf) }
        return range.root
    }

    /// A tree grown leaf by leaf, kept as its right edge: the heads of its complete subtrees,
    /// largest first (at most one per size, so O(log n) of them). Its head is the fold of the
    /// edge from the right.
    public struct CompactRange: Sendable {
        private var edge: [(hash: TreeHash, size: Int)] = []
        public private(set) var size = 0

        public init() {}

        public mutating func append(_ leaf: TreeHash) {
            var node = (hash: leaf, size: 1)
            while let top = edge.last, top.size == node.size {
                edge.removeLast()
                node = (nodeHash(top.hash, node.hash), top.size * 2)
            }
            edge.append(node)
            size += 1
        }

        /// MTH of the leaves appended so far.
        public var root: TreeHash {
            guard var hash = edge.last?.hash else { return emptyRoot }
            for left in edge.dropLast().reversed() { hash = nodeHash(left.hash, hash) }
            return hash
        }
    }

    /// PATH(m, D[n]): the audit path of leaf `index` in the tree of `leaves` (RFC 9162 §2.1.3.1).
    public static func inclusionProof(index: Int, leaves: ArraySlice<TreeHash>) -> [TreeHash] {
        precondition(index >= 0 && index < leaves.count, "leaf \(index) is not in a tree of \(leaves.count)")
        let n = leaves.count
        guard n > 1 else { return [] }
        let k = split(n), start = leaves.startIndex
        if index < k {
            return inclusionProof(index: index, leaves: leaves[start..<start + k]) + [root(leaves[(start + k)...])]
        }
        return inclusionProof(index: index - k, leaves: leaves[(start + k)...]) + [root(leaves[start..<start + k])]
    }

    /// PROOF(m, D[n]): that the tree of the first `first` leaves is a prefix of the tree of
    /// `leaves` (RFC 9162 §2.1.4.1). Empty when `first` is 0 or the whole tree.
    public static func consistencyProof(first: Int, leaves: ArraySlice<TreeHash>) -> [TreeHash] {
        precondition(first >= 0 && first <= leaves.count, "size \(first) is larger than \(leaves.count)")
        guard first > 0, first < leaves.count else { return [] }
        return subproof(first, leaves, complete: true)
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<TreeHash>, complete: Bool) -> [TreeHash] {
        let n = leaves.count, start = leaves.startIndex
        if m == n { return complete ? [] : [root(leaves)] }
        let k = split(n)
        if m <= k {
            return subproof(m, leaves[start..<start + k], complete: complete) + [root(leaves[(start + k)...])]
        }
        return subproof(m - k, leaves[(start + k)...], complete: false) + [root(leaves[start..<start + k])]
    }

    /// RFC 9162 §2.1.3.2: whether `proof` shows the leaf with hash `leaf` at `index` in the tree
    /// of `size` leaves whose head is `root`.
    public static func verifyInclusion(leaf: TreeHash, index: Int, size: Int, proof: [TreeHash], root: TreeHash) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index, sn = size - 1
        var r = leaf
        for p in proof {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// RFC 9162 §2.1.4.2: whether `proof` shows the tree of `first` leaves with head `firstRoot`
    /// is a prefix of the tree of `second` leaves with head `secondRoot`.
    public static func verifyConsistency(first: Int, second: Int, firstRoot: TreeHash, secondRoot: TreeHash,
                                         proof: [TreeHash]) -> Bool {
        guard first >= 0, first <= second else { return false }
        if first == second { return proof.isEmpty && firstRoot == secondRoot }
        if first == 0 { return proof.isEmpty }
        var path = proof[...]
        // When the first tree is a complete subtree, its head starts the path.
        if first & (first - 1) == 0 { path = [firstRoot] + path }
        guard var fr = path.first else { return false }
        var fn = first - 1, sn = second - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var sr = fr
        for c in path.dropFirst() {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && fr == firstRoot && sr == secondRoot
    }
}
