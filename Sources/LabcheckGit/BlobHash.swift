import CLibcrypto
import CLibgit2

/// Git object ids of in-memory bytes: SHA-1 of `<kind> <size>\0` followed by the bytes,
/// computed with OpenSSL (hardware SHA-1 where the CPU has it), falling back to libgit2's hash.
enum BlobHash {
    /// The blob id `bytes` would have in git.
    static func id(of bytes: UnsafeRawBufferPointer) -> ObjectID? { id(of: bytes, tree: false) }

    /// The id of a tree (`tree`) or blob whose content is `bytes`.
    static func id(of bytes: UnsafeRawBufferPointer, tree: Bool) -> ObjectID? {
        if let fast = openSSL(bytes, kind: tree ? "tree" : "blob") { return fast }
        var oid = git_oid()
        let code = git_odb_hash(&oid, bytes.baseAddress, bytes.count, tree ? GIT_OBJECT_TREE : GIT_OBJECT_BLOB)
        return code == 0 ? ObjectID(oid) : nil
    }

    private static func openSSL(_ bytes: UnsafeRawBufferPointer, kind: String) -> ObjectID? {
        _ = Digest.openSSLStarted
        guard let context = EVP_MD_CTX_new() else { return nil }
        defer { EVP_MD_CTX_free(context) }
        let header = Array("\(kind) \(bytes.count)\0".utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        guard EVP_DigestInit_ex(context, EVP_sha1(), nil) == 1,
              header.withUnsafeBytes({ EVP_DigestUpdate(context, $0.baseAddress, $0.count) }) == 1,
              EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1,
              EVP_DigestFinal_ex(context, &digest, &length) == 1, length == 20 else { return nil }
        return ObjectID(bytes: digest)
    }
}
