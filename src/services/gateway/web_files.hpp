// The web UI (storefront at /, admin console at /admin): the files `npm run build` leaves in
// web/dist, read once when the gateway starts and served from memory. Only names found in that
// directory at start can be answered, so no request path ever reaches the file system.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "platform/http/message.hpp"

namespace ordo::services::gateway {

struct WebFile {
  std::string content_type;
  std::string body;
  std::string etag;     // a strong validator: a hash of the body, quoted
  std::string gzipped;  // the body gzipped, when that is worth it (else empty)
  // Vite puts a content hash in every name under assets/: such a file never changes, so a
  // browser may keep it for a year; the HTML pages that name them are revalidated every time.
  bool immutable = false;
};

class WebFiles {
 public:
  // Every regular file under dir (symbolic links are not followed), keyed by its path relative
  // to dir with "/" separators. Missing directory or no index.html: not built.
  static WebFiles load(const std::filesystem::path& dir);

  bool built() const { return files_.contains("index.html"); }
  const std::filesystem::path& directory() const { return directory_; }
  // nullptr for a name that was not in the directory at start.
  const WebFile* find(std::string_view relative_path) const;
  std::size_t size() const { return files_.size(); }

 private:
  std::filesystem::path directory_;
  std::map<std::string, WebFile, std::less<>> files_;
};

// True for one path segment made of letters, digits, '.', '-' and '_', not starting with '.'
// (so never "..", a hidden file, a separator, an encoded "/" or a NUL).
bool is_safe_file_name(std::string_view name);

// By extension; application/octet-stream for anything else.
std::string content_type_for(std::string_view name);

// The directory to serve: the configured one when set, else the first of web/ beside the
// binary (an installation) and the source tree's web/dist (a build tree) that has index.html.
std::filesystem::path find_web_directory(const std::string& configured,
                                         const std::filesystem::path& executable,
                                         const std::filesystem::path& source_tree_dist);

// The answer for one file: 200 with its caching fields, or 304 when If-None-Match names its ETag.
http::Response web_file_response(const WebFile& file, const http::Request& request);

// The Content-Security-Policy of the web UI's pages: scripts, styles and requests from this
// origin only (no inline script or style element), no frames, no plugins.
const std::string& web_security_policy();

}  // namespace ordo::services::gateway
