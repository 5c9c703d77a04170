import ArgumentParser
import ModelSealKit

#if canImport(Glibc)
    import Glibc
#endif

/// The `modelseal` command.
@main
struct ModelSeal: ParsableCommand {
    static let version = ProductVersion.current  // one release number for every surface

    static func main() {
        tuneAllocator()
        main(nil)
    }

    /// Keeps chunk-sized buffers (up to 16 MiB + tag) on the heap so they are reused.
    ///
    /// By default glibc serves every allocation over 128 KiB with a fresh `mmap`, so each 1 MiB
    /// chunk swift-crypto returns costs 256 page faults: measured as half the system time of
    /// `open`. Only the command sets this; the libraries never change process-wide settings.
    static func tuneAllocator() {
        #if canImport(Glibc)
            // <malloc.h> is not part of the Glibc module: M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3.
            _ = glibcMallopt(-3, 32 << 20)
            _ = glibcMallopt(-1, 256 << 20)
        #endif
    }

    /// One malloc arena, for commands that seal: the sealer's worker threads and its I/O thread would
    /// each get an arena that keeps freed ciphertext chunks (1 GiB sealed: 79 MiB peak RSS, 53 MiB with
    /// one arena, same speed). Not for opening, where the shared arena lock cost about 5% of CPU.
    static func useOneAllocatorArena() {
        #if canImport(Glibc)
            _ = glibcMallopt(-8, 1)  // M_ARENA_MAX
        #endif
    }

    // Every command names itself (`commandName:`): otherwise ArgumentParser derives the name with
    // `String(describing:)`, a runtime protocol-conformance scan that was a third of start-up time.
    static let configuration = CommandConfiguration(
        commandName: "modelseal",
        abstract: "Seal PyTorch models for delivery: streaming authenticated encryption, opened only in memory.",
        discussion: """
            A sealed file (.mseal) is encrypted for one or many recipients: a raw 32-byte key (base64url text, \
            as Python's Fernet.generate_key() prints it), a passphrase, or X25519 public keys made by \
            `modelseal keygen`. \
            Tampering, truncation and reordering are detected before any plaintext is released.

            Quick start:
              modelseal keygen -o customer.key     # prints the recipient modelseal1...
              modelseal seal -r modelseal1... -o model.mseal model.pt
              modelseal open -i customer.key -o model.pt model.mseal
              modelseal demo                       # the whole flow, with timings

            Exit codes (all: docs/CLI.md; man page: scripts/gen-manual.sh):
            \(StatusCode.summary)
            """,
        version: version,
        subcommands: [
            Seal.self, Open.self, Run.self, Keygen.self, Inspect.self, Convert.self, Rekey.self, Sign.self, Verify.self,
            Migrate.self, License.self, Machine.self, Scan.self, Mark.self, Trace.self,
            Env.self, Pack.self, Unpack.self,
            Activate.self, Deactivate.self, Heartbeat.self, Admin.self, Server.self,
            Demo.self,
        ]
    )
}

#if canImport(Glibc)
    @_silgen_name("mallopt")
    private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
