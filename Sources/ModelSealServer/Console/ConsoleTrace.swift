import Hummingbird
import ModelSealCore
import ModelSealMark

/// `/console/trace`: upload a suspect file, pick the unmarked original and the model id, and see whose
/// mark is in it (docs/CONSOLE.md §Trace). The issued ids come from the store's mark registry; the
/// original and the secret from the server's `--originals` and `--mark-secret`.
extension KeyServer {
    func tracePage(_ context: ConsoleContext) -> HTML {
        guard let settings = trace else {
            let body: HTML = """
                <p class="notice">Tracing is not configured on this server: start it with <code>--originals DIR</code>
                (the unmarked originals) and <code>--mark-secret FILE</code> (the vendor's mark secret). Or run it where
                they are:</p>
                <pre><code>modelseal trace SUSPECT --original ORIGINAL --secret vendor.mark-secret --model-id ID --registry URL</code></pre>
                """
            return ConsoleResponse.layout("Trace a leaked copy", context, body)
        }
        let options: [HTML] = settings.originalNames().map { "<option value=\"\($0)\">\($0)</option>" }
        let body: HTML = """
            <p class="muted">Scores every customer the mark registry lists for the model id against the suspect copy
            (docs/MARKING.md). At most \(settings.maxUploadBytes >> 20) MiB; the upload is kept in an unnamed temporary
            file only while the trace runs.</p>
            <form class="stack" method="post" action="/console/trace" enctype="multipart/form-data">
            \(context.csrfField)
            <label for="model_id">Model id (as marked)<input id="model_id" name="model_id" required maxlength="256"></label>
            <label for="original">Unmarked original<select id="original" name="original" required>\(options)</select></label>
            <label for="suspect">Suspect file<input id="suspect" name="suspect" type="file" required></label>
            <button type="submit">Trace</button></form>
            """
        return ConsoleResponse.layout("Trace a leaked copy", context, body)
    }

    func traceAction(_ request: Request) async -> Response {
        do {
            guard let context = try await consoleContext(request) else {
                return ConsoleResponse.redirect("/console/login")
            }
            guard let settings = trace else {
                throw ConsoleFailure(status: .notFound, message: "Tracing is not configured on this server.")
            }
            guard let boundary = TraceUpload.boundary(request.headers[.contentType]) else {
                throw ConsoleFailure(status: .badRequest, message: "Submit the trace form from the console.")
            }
            let upload = TraceUpload(maxBytes: settings.maxUploadBytes, csrf: context.session.csrf)
            try await upload.read(request.body, boundary: boundary)
            if let failure = upload.failure { throw failure }
            guard upload.fields["csrf"] != nil else { throw TraceUpload.staleForm }
            guard let suspect = upload.suspect, suspect.count > 0 else {
                throw ConsoleFailure(status: .badRequest, message: "Choose a suspect file to upload.")
            }
            let body = try await runTrace(suspect, upload.fields, settings, context)
            return ConsoleResponse.html(ConsoleResponse.layout("Trace result", context, body))
        } catch {
            return await consoleError(error, request)
        }
    }

    func runTrace(
        _ suspect: ScratchFile, _ fields: [String: String], _ settings: TraceSettings, _ context: ConsoleContext
    ) async throws -> HTML {
        let modelID = fields["model_id"] ?? ""
        let original = fields["original"] ?? ""
        guard !modelID.isEmpty, modelID.utf8.count <= 256 else {
            throw ConsoleFailure(status: .badRequest, message: "Give the model id the copies were marked with.")
        }
        guard settings.originalNames().contains(original) else {
            throw ConsoleFailure(status: .badRequest, message: "Pick an original from the list.")
        }
        let (customers, minElements) = try await issued(modelID: modelID, settings: settings, store: context.store)
        guard !customers.isEmpty else {
            throw ConsoleFailure(
                status: .notFound,
                message:
                    "The mark registry records no mark of \(modelID): nobody can be accused of a model id never marked."
            )
        }
        let job = TraceJob(suspect: try suspect.reading(name: "the uploaded suspect"))
        let request = TraceRequest(
            secret: settings.secret, modelID: modelID, customers: customers,
            parameters: MarkParameters(minElements: minElements ?? MarkParameters.defaultMinElements))
        let path = settings.originals + "/" + original
        guard settings.busy.start() else {
            throw ConsoleFailure(status: .tooManyRequests, message: "Another trace is running: try again in a minute.")
        }
        let report: TraceReport
        do {
            report = try await OffLoop.run(seconds: settings.timeoutSeconds) {
                defer { settings.busy.finish() }
                return try Tracer.trace(
                    original: try WeightFile.open(try InputFile(path: path)), suspect: try job.open(), request)
            }
        } catch let error as OffLoop.TimedOut {
            throw ConsoleFailure(
                status: .serviceUnavailable, message: "The trace took over \(error.seconds) s and was abandoned.")
        } catch let error as MarkError {
            throw ConsoleFailure(
                status: .unprocessableContent, message: "The trace could not run: \(error.description)")
        } catch {
            throw ConsoleFailure(
                status: .unprocessableContent, message: "The suspect or the original could not be read: \(error)")
        }
        try await context.store.recordConsoleEvent(
            actor: context.actor, action: "trace.run", subject: modelID,
            detail: "original=\(original) accused=\(report.accused.map(\.customer).joined(separator: ","))",
            now: clock())
        return Self.traceResult(report, original: original)
    }

    /// The registry's customers for `modelID` in issue order (once each), and the smallest `min_elements`.
    func issued(modelID: String, settings: TraceSettings, store: any ServerStore) async throws -> ([String], Int?) {
        var seen: Set<String> = []
        var customers: [String] = []
        var minElements: Int?
        var after: Int64 = 0
        while customers.count < settings.maxIssued {
            let page = try await store.marks(modelID: modelID, after: after, limit: 1000)
            for mark in page where seen.insert(mark.mark.customer).inserted { customers.append(mark.mark.customer) }
            for mark in page { if let value = mark.minElements { minElements = min(minElements ?? value, value) } }
            guard page.count == 1000, let last = page.last else { break }
            after = last.seq
        }
        return (Array(customers.prefix(settings.maxIssued)), minElements)
    }
}

/// The uploaded suspect, handed to the trace's thread (which alone uses it from then on).
final class TraceJob: @unchecked Sendable {
    private let suspect: InputFile
    init(suspect: InputFile) { self.suspect = suspect }
    func open() throws -> WeightFile { try WeightFile.open(suspect) }
}
