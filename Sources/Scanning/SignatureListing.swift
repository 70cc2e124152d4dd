import Foundation

/// What a signature folder holds: each regular file's name, size, modification time and inode. Taken just
/// before the folder is compiled, so that any later change — freshclam replacing a database by rename, a file
/// added or removed — makes a different listing.
struct SignatureListing: Equatable, Sendable {
    var files: [String: [Int]]

    init(_ directory: URL) {
        var files: [String: [Int]] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
            var st = stat()
            guard stat(directory.appendingPathComponent(name).path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { continue }
            files[name] = [Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec), Int(st.st_ino)]
        }
        self.files = files
    }
}
