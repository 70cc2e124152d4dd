import TestSupport
import Foundation

/// Runs curl quietly; the output ends with a line holding the HTTP status.
func curl(_ args: [String]) throws -> String {
    try runTool("/usr/bin/curl", ["-s", "-w", "\n%{http_code}"] + args).output
}
