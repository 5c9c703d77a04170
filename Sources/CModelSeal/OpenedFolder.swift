import ModelSealBundle
import ModelSealCore
import ModelSealKit

/// A `folder`: a sealed model folder whose set manifest was opened and checked with a keyring.
final class OpenedFolder: Sendable {
    let folder: SealedFolder

    init(_ folder: SealedFolder) { self.folder = folder }
}

func openedFolder(_ handle: OpaquePointer?) throws -> OpenedFolder {
    try Handles.lookup(handle, as: OpenedFolder.self, "folder")
}

@_cdecl("modelseal_folder_open")
public func folderOpen(
    _ path: UnsafePointer<CChar>?, _ ring: OpaquePointer?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        let path = try Argument.string(path, "path")
        let out = try Argument.output(out, "out")
        let opener = try keyring(ring).opener()
        out.pointee = Handles.register(OpenedFolder(try SealedFolder(path: path, opener: opener)))
    }
}

@_cdecl("modelseal_folder_close")
public func folderClose(_ folder: OpaquePointer?) {
    Handles.remove(folder, as: OpenedFolder.self)
}

@_cdecl("modelseal_folder_manifest")
public func folderManifest(
    _ folder: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?,
    _ outLength: UnsafeMutablePointer<UInt>?
) -> Int32 {
    boundary {
        try handOut(try openedFolder(folder).folder.manifest.encoded(), out, outLength)
    }
}

@_cdecl("modelseal_folder_open_member")
public func folderOpenMember(
    _ folder: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> Int32 {
    boundary {
        let folder = try openedFolder(folder)
        let name = try Argument.string(name, "name")
        let out = try Argument.output(out, "out")
        out.pointee = Handles.register(OpenedFile(prepared: try folder.folder.prepare(name)))
    }
}

@_cdecl("modelseal_folder_read_clear")
public func folderReadClear(
    _ folder: OpaquePointer?, _ name: UnsafePointer<CChar>?,
    _ out: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?, _ outLength: UnsafeMutablePointer<UInt>?
) -> Int32 {
    boundary {
        let folder = try openedFolder(folder)
        let name = try Argument.string(name, "name")
        try handOut(try folder.folder.clearBytes(named: name), out, outLength)
    }
}
