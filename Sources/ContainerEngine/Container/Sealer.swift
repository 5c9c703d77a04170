import ContainerFormat
import Crypto
import FoundationEssentials
import ModelSealCore

/// Options for sealing.
public struct SealOptions: Sendable {
    /// Payload AEAD; AES-256-GCM unless the machine lacks AES instructions.
    public var suite: CipherSuite = .aes256GCM
    /// log2 of the chunk size (16...24); 20 (1 MiB) by default.
    public var chunkLog2: UInt8 = SealedFormat.defaultChunkLog2
    /// Entries of the sealed-metadata extension; none by default.
    public var metadata: [String: String] = [:]
    /// Also compute each chunk's Merkle leaf hash (`SealSummary.leafHashes`), for signing in the
    /// same pass. Off by default: SHA-256 of every chunk costs more CPU than the encryption.
    public var hashingLeaves = false
    /// Further header extensions (for example signature-required), in any order.
    public var extensions: [HeaderExtension] = []
    /// Called after each batch with the plaintext bytes sealed so far.
    public var progress: (@Sendable (Int) -> Void)? = nil

    /// Defaults: AES-256-GCM, 1 MiB chunks, no metadata.
    public init() {}
}

/// What sealing produced.
public struct SealSummary: Sendable {
    /// Plaintext bytes read.
    public let plaintextLength: Int
    /// Header bytes written.
    public let headerLength: Int
    /// Chunks written.
    public let chunkCount: Int
    /// Ciphertext bytes of the payload.
    public let payloadLength: Int
    /// The header bytes written.
    public let headerBytes: [UInt8]
    /// Merkle leaf hash of every chunk written (spec/SIGNATURES.md §1), for signing without a second pass;
    /// empty arrays unless `SealOptions.hashingLeaves`.
    public let leafHashes: [[UInt8]]
}

/// Seals a stream of any length to one or more recipients (spec/CONTAINER.md §1–§5).
public enum Sealer {
    /// Reads `input` to its end and writes a sealed file to `output`.
    ///
    /// Memory is bounded by one batch (`Parallel.batchBudget`) whatever the input size; the
    /// input may be of unknown length (a pipe): one byte of look-ahead finds the last chunk.
    public static func seal(
        _ input: ByteStream, to output: ByteSink, recipients: [Recipient], options: SealOptions = SealOptions()
    ) throws(SealError) -> SealSummary {
        guard !recipients.isEmpty else { throw .noRecipients }
        let schedule = KeySchedule.random()
        let salt = randomBytes(SealedFormat.payloadSaltLength)
        var stanzas: [Stanza] = []
        for recipient in recipients { stanzas.append(try recipient.wrap(schedule.fileKey)) }
        var extensions = options.extensions
        if !options.metadata.isEmpty {
            extensions.append(try SealedMetadata(options.metadata).sealed(with: schedule))
        }
        extensions.sort { $0.type < $1.type }
        var header = SealedHeader(
            suite: options.suite, chunkLog2: options.chunkLog2, payloadSalt: salt, stanzas: stanzas,
            extensions: extensions)
        let headerBytes: [UInt8]
        do throws(FormatError) {
            let authenticated = try header.authenticatedBytes()
            header.mac = schedule.headerMAC(authenticated)
            headerBytes = authenticated + header.mac
        } catch {
            throw .malformed(error)
        }
        try SealError.writing { () throws(IOError) in try output.write(contentsOf: headerBytes) }
        let cipher = ChunkCipher(suite: options.suite, key: schedule.payloadKey(salt: salt))
        let (length, leaves, last) = try sealPayload(
            input, to: output, cipher: cipher, chunkSize: header.chunkSize, options: options)
        // spec/SIGNATURES.md §3: a payload ending in the trailer magic would be read as signed (p = 2^-64).
        guard !last.suffix(SealedFormat.trailerMagic.count).elementsEqual(SealedFormat.trailerMagic) else {
            throw .outputFailed("the payload happens to end in the trailer magic (probability 2^-64): seal again")
        }
        let payloadLength = length + leaves.count * SealedFormat.tagLength
        return SealSummary(
            plaintextLength: length, headerLength: headerBytes.count, chunkCount: leaves.count,
            payloadLength: payloadLength, headerBytes: headerBytes, leafHashes: leaves)
    }

    /// Encrypts the input in batches of `Parallel.batchCount` chunks, with I/O overlapping the work: while the
    /// workers encrypt batch n, one more thread writes batch n − 1's ciphertext and reads batch n + 1 into the
    /// other of two buffers. Each chunk is sealed straight into its place in a ciphertext buffer, so a batch's
    /// ciphertext is one contiguous write. Memory: two plaintext and two ciphertext batches, whatever the input size.
    private static func sealPayload(
        _ input: ByteStream, to output: ByteSink, cipher: ChunkCipher, chunkSize: Int, options: SealOptions
    ) throws(SealError) -> (length: Int, leaves: [[UInt8]], last: [UInt8]) {
        let batch = Parallel.batchCount(itemSize: chunkSize)
        let capacity = batch * chunkSize
        // One extra byte of look-ahead tells whether the batch in hand holds the last chunk.
        var buffers = SealerBuffers(plaintext: capacity + 1, sealed: batch * (chunkSize + SealedFormat.tagLength))
        defer { buffers.deallocate() }
        var filled = try fill(buffers.plaintext, from: input, carried: 0, capacity: capacity)
        var pending = 0  // bytes of the previous batch's ciphertext, written while this batch encrypts
        var index = 0
        var total = 0
        var leaves: [[UInt8]] = []
        while true {
            let isFinal = filled <= capacity
            let used = isFinal ? filled : capacity
            let count = isFinal ? max(1, (used + chunkSize - 1) / chunkSize) : batch
            if !isFinal { buffers.nextPlaintext.base[0] = buffers.plaintext.base[capacity] }
            let work = SealerBatch(
                buffers: buffers, first: index, count: count, used: used, chunkSize: chunkSize, isFinal: isFinal,
                pending: pending, hashing: options.hashingLeaves)
            // Task 0 is the I/O (write the previous batch, read the next); tasks 1... encrypt this batch.
            let results = try Parallel.map(count + 1, workers: Parallel.workerCount + 1) {
                (task) throws(SealError) -> BatchWork in
                guard task > 0 else {
                    try SealError.writing { () throws(IOError) in try output.write(work.previousCiphertext) }
                    let next = work.buffers.nextPlaintext
                    return .read(isFinal ? 0 : try fill(next, from: input, carried: 1, capacity: capacity))
                }
                return .sealed(try work.seal(task - 1, with: cipher))
            }
            for case .sealed(let leaf) in results { leaves.append(leaf) }  // empty unless hashingLeaves
            index += count
            total += used
            pending = used + count * SealedFormat.tagLength
            options.progress?(total)
            if isFinal {
                let ciphertext = UnsafeRawBufferPointer(buffers.sealed.slice(0..<pending))
                try SealError.writing { () throws(IOError) in try output.write(ciphertext) }
                return (total, leaves, Array(ciphertext.suffix(SealedFormat.tagLength)))
            }
            if case .read(let read) = results[0] { filled = 1 + read }
            buffers.swap()
        }
    }

    /// What one task of a sealing batch produced.
    private enum BatchWork {
        /// The I/O task: bytes read into the other buffer after its carried byte.
        case read(Int)
        /// An encryption task: the sealed chunk's Merkle leaf (empty unless hashing).
        case sealed([UInt8])
    }

    /// Reads into `buffer` after `carried` bytes already there, up to `capacity + 1`; returns the bytes read.
    private static func fill(_ buffer: SharedBuffer, from input: ByteStream, carried: Int, capacity: Int)
        throws(SealError) -> Int
    {
        try SealError.reading { () throws(IOError) in
            try input.readFully(into: buffer.slice(carried..<(capacity + 1)))
        }
    }
}
