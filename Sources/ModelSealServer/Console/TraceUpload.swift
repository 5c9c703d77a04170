import Hummingbird
import ModelSealCore
import MultipartKit
import NIOCore

/// The trace form's `multipart/form-data` body, parsed as it streams (docs/CONSOLE.md §Trace): the small
/// fields (at most 4 KiB each) are kept in memory, the `suspect` file part goes straight to an unnamed
/// 0600 temporary file (`ScratchFile`, gone when closed) and is refused past the size cap. The form
/// puts its CSRF field first; file bytes arriving before a matching token are refused, never stored.
final class TraceUpload {
    private(set) var fields: [String: String] = [:]
    private(set) var suspect: ScratchFile?
    private(set) var failure: ConsoleFailure?
    private var partName: String?
    private var partBytes: [UInt8] = []
    private let maxBytes: Int
    private let csrf: String
    private var csrfChecked = false

    static let maxFieldBytes = 4096

    init(maxBytes: Int, csrf: String) {
        self.maxBytes = maxBytes
        self.csrf = csrf
    }

    /// The boundary of a `multipart/form-data` content type, `nil` for any other.
    static func boundary(_ contentType: String?) -> String? {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            if pair.count == 2, pair[0].lowercased() == "boundary" {
                let value = pair[1].hasPrefix("\"") ? String(pair[1].dropFirst().dropLast()) : pair[1]
                return (1...70).contains(value.utf8.count) ? value : nil
            }
        }
        return nil
    }

    /// Reads the whole body; afterwards `failure` says what was refused, if anything.
    func read(_ body: RequestBody, boundary: String) async throws {
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { [unowned self] name, value in self.header(name, value) }
        parser.onBody = { [unowned self] buffer in self.bodyBytes(&buffer) }
        parser.onPartComplete = { [unowned self] in self.partComplete() }
        do {
            for try await buffer in body {
                try parser.execute(buffer)
                if failure != nil { return }
            }
        } catch {
            failure = ConsoleFailure(
                status: .badRequest, message: "The upload could not be read: submit the form again.")
        }
    }

    private func header(_ name: String, _ value: String) {
        guard name.lowercased() == "content-disposition" else { return }
        for parameter in value.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            if pair.count == 2, pair[0] == "name" {
                partName = pair[1].hasPrefix("\"") ? String(pair[1].dropFirst().dropLast()) : pair[1]
            }
        }
    }

    private func bodyBytes(_ buffer: inout ByteBuffer) {
        guard failure == nil else { return }
        guard partName == "suspect" else {
            partBytes += buffer.readableBytesView
            if partBytes.count > Self.maxFieldBytes {
                failure = ConsoleFailure(status: .badRequest, message: "A form field is over 4 KiB.")
            }
            return
        }
        guard csrfChecked else {
            failure = Self.staleForm
            return
        }
        do {
            if suspect == nil { suspect = try ScratchFile() }
            guard let suspect, suspect.count + buffer.readableBytes <= maxBytes else {
                failure = ConsoleFailure(
                    status: .contentTooLarge,
                    message: "The suspect file is over \(maxBytes >> 20) MiB: nothing was kept.")
                self.suspect = nil
                return
            }
            try buffer.withUnsafeReadableBytes { try suspect.write($0) }
        } catch {
            failure = ConsoleFailure(status: .internalServerError, message: "The upload could not be stored: \(error)")
            suspect = nil
        }
    }

    private func partComplete() {
        defer {
            partName = nil
            partBytes = []
        }
        guard failure == nil, let name = partName, name != "suspect" else { return }
        let value = String(decoding: partBytes, as: UTF8.self)
        fields[name] = value
        if name == "csrf" {
            csrfChecked = KeyServer.sameSecret(value, csrf)
            if !csrfChecked { failure = Self.staleForm }
        }
    }

    static let staleForm = ConsoleFailure(
        status: .forbidden,
        message: "The form's security token is missing or stale: reload the page and submit it again.")
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
