import Testing

@Suite("ModelFormats placeholder") struct ModelFormatsPlaceholder { @Test func builds() { #expect(Bool(true)) } }
