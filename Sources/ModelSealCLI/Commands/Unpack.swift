import ArgumentParser
import ModelSealBundle
import ModelSealKit

extension ModelSeal {
    /// `modelseal unpack`: verify a bundle and write its members into a new folder, all or nothing.
    struct Unpack: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unpack",
            abstract:
                "Verify a bundle and unpack it into a new folder (nothing is written unless every member verifies).",
            discussion: """
                The signed manifest is checked first (a signature by a --trust or trust-store key is required, unless \
                --allow-unsigned); then every \
                member is streamed into a hidden folder beside the target and hash-checked; only when all match is \
                the folder renamed to the target. Members are regular files with portable relative names: path \
                traversal, absolute paths, links and devices cannot be expressed and are refused.

                Example:
                  modelseal unpack --trust vendor.pub -o delivery acme.mspkg
                """)

        @Argument(help: ArgumentHelp("The bundle (.mspkg).", valueName: "BUNDLE"))
        var bundle: String

        @Option(name: .shortAndLong, help: ArgumentHelp("The folder to create (must not exist).", valueName: "DIR"))
        var output: String

        @Option(
            name: .customLong("trust"),
            help: ArgumentHelp(
                "Require a valid signature by a key in FILE. Repeatable. Without it, the trust store "
                    + "($MODELSEAL_TRUST or ~/.config/modelseal/trust/); without either, unpack refuses (exit 26) "
                    + "unless --allow-unsigned.", valueName: "FILE"))
        var trustFiles: [String] = []

        @Flag(
            name: .customLong("allow-unsigned"),
            help:
                "Unpack without requiring a trusted signer (no --trust and no trust store): anyone could have made it.")
        var allowUnsigned = false

        func run() throws {
            try reportingErrors {
                let opened = try OpenedBundle(path: bundle)
                let trusted = try TrustOptions.keysForVerifying(trustFiles: trustFiles, allowUnsigned: allowUnsigned)
                let signers = try opened.verifySignatures(trustedKeys: trusted)
                BundleVerification.describe(signers: signers, trusted: !trusted.isEmpty)
                let clock = Stopwatch()
                try BundleUnpacker.unpack(opened, into: output)
                Terminal.writeError(
                    "unpacked \(opened.manifest.members.count) members (\(opened.manifest.totalSize) bytes) into \(output) "
                        + "(\(throughput(bytes: opened.manifest.totalSize, seconds: clock.elapsed)))")
            }
        }
    }
}
