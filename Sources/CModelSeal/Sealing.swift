import ContainerEngine
import ContainerFormat
import ModelSealCore
import ModelSealKit
import ModelSealSigning

/// `MODELSEAL_SEAL_REPLACE`.
let sealReplace: UInt32 = 1

@_cdecl("modelseal_seal_buffer")
public func sealBuffer(
    _ data: UnsafePointer<UInt8>?, _ length: UInt, _ ring: OpaquePointer?, _ path: UnsafePointer<CChar>?,
    _ chunkLog2: UInt32, _ flags: UInt32
) -> Int32 {
    boundary {
        let bytes = try Argument.bytes(data, length, "data", limit: Int.max)
        let ring = try keyring(ring)
        let recipients = ring.recipients
        let signer = ring.signingKey
        let path = try Argument.string(path, "path")
        guard flags & ~sealReplace == 0 else { throw Argument.usage("unknown flags \(flags)") }
        var options = SealOptions()
        if chunkLog2 != 0 {
            let range = SealedFormat.minimumChunkLog2...SealedFormat.maximumChunkLog2
            guard let log2 = UInt8(exactly: chunkLog2), range.contains(log2) else {
                throw Argument.usage("chunk_log2 \(chunkLog2) outside \(range.lowerBound)...\(range.upperBound)")
            }
            options.chunkLog2 = log2
        }
        options.hashingLeaves = signer != nil
        if let signer {
            // As `modelseal seal --sign-key`: stripping the signature makes the file unopenable.
            options.extensions = [RequiredSigners.extension(keyIDs: [signer.verifyingKey.keyID])]
        }
        let output = try OutputFile(.path(path), mode: 0o644, replace: flags & sealReplace != 0)
        let summary = try Sealer.seal(BorrowedBytesSource(bytes), to: output, recipients: recipients, options: options)
        if let signer {
            let entry = try FileSignatures.entry(
                key: signer, headerBytes: summary.headerBytes, payloadLength: summary.payloadLength,
                leafHashes: summary.leafHashes)
            try output.write(contentsOf: SignatureTrailer(leafHashes: summary.leafHashes, entries: [entry]).encoded())
        }
        try output.commit()
    }
}
