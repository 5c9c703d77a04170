import ModelSealCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Verifies a bundle and writes its members into a new folder, all or nothing (spec/BUNDLE.md §5).
public enum BundleUnpacker {
    /// Writes every member of `bundle` under the new folder `target`.
    ///
    /// The caller verifies signatures first (`OpenedBundle.verifySignatures`). Members go to a
    /// staging folder beside `target`; each is hash-checked as it streams; only when all passed is
    /// the staging folder renamed to `target`. On any failure nothing exists under `target`.
    public static func unpack(_ bundle: OpenedBundle, into target: String) throws {
        let writer = try StagingWriter(staging: StagingDirectory(target: target))
        do {
            try bundle.readMembers(into: writer)
            try writer.staging.commit()
        } catch {
            writer.closeCurrent()
            writer.staging.removeAll()
            writer.staging.committed = true
            throw error
        }
    }
}

/// Writes streamed members into the staging folder.
final class StagingWriter: BundleMemberSink {
    let staging: StagingDirectory
    var descriptor: Int32 = -1

    init(staging: StagingDirectory) { self.staging = staging }
    deinit { closeCurrent() }

    func closeCurrent() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    func begin(_ member: BundleManifest.Member) throws {
        descriptor = try staging.createFile(member.name)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress.map { $0 + done }, bytes.count - done)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw BundleError.outputFailed("writing a member: \(IOError.text(of: errno))")
            }
            done += count
        }
    }

    func end(_ member: BundleManifest.Member) throws {
        closeCurrent()
    }
}
