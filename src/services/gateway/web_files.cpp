#include "services/gateway/web_files.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <system_error>

#include "platform/core/encoding.hpp"
#include "platform/http/compression.hpp"

namespace ordo::services::gateway {
namespace {

namespace fs = std::filesystem;

// A built UI is a few hundred KB; anything far larger is a wrong directory, not a UI.
constexpr std::uintmax_t kMaxTotalBytes = 64ull << 20;

std::optional<std::string> read_whole(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool has_index(const fs::path& dir) {
  std::error_code error;
  return !dir.empty() && fs::is_regular_file(dir / "index.html", error);
}

// Only names a request could ask for are kept (no hidden files, nothing odd).
bool is_safe_relative_path(std::string_view relative) {
  for (std::size_t start = 0;;) {
    auto slash = relative.find('/', start);
    if (!is_safe_file_name(relative.substr(start, slash - start)))
      return false;
    if (slash == std::string_view::npos)
      return true;
    start = slash + 1;
  }
}

}  // namespace

WebFiles WebFiles::load(const fs::path& dir) {
  WebFiles web;
  web.directory_ = dir;
  std::error_code error;
  if (dir.empty() || !fs::is_directory(dir, error))
    return web;
  std::uintmax_t total = 0;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::none, error), end;
       !error && it != end; it.increment(error)) {
    // symlink_status: a link is neither followed nor served.
    if (!fs::is_regular_file(it->symlink_status(error)))
      continue;
    auto relative = it->path().lexically_relative(dir).generic_string();
    total += it->file_size(error);
    if (total > kMaxTotalBytes) {
      web.files_.clear();
      return web;
    }
    if (!is_safe_relative_path(relative))
      continue;
    auto body = read_whole(it->path());
    if (!body)
      continue;
    WebFile file;
    file.content_type = content_type_for(relative);
    file.etag = "\"" + core::hex_encode(core::sha256(*body)).substr(0, 32) + "\"";
    file.immutable = relative.starts_with("assets/");
    file.body = std::move(*body);
    // Compressed once, thoroughly, at start rather than on every request.
    if (http::is_compressible_type(file.content_type) && file.body.size() >= 1024) {
      auto gzipped = http::gzip(file.body, 9);
      if (gzipped.size() < file.body.size())
        file.gzipped = std::move(gzipped);
    }
    web.files_.emplace(std::move(relative), std::move(file));
  }
  return web;
}

const WebFile* WebFiles::find(std::string_view relative_path) const {
  auto it = files_.find(relative_path);
  return it == files_.end() ? nullptr : &it->second;
}

bool is_safe_file_name(std::string_view name) {
  if (name.empty() || name.size() > 255 || name.front() == '.')
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

std::string content_type_for(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webp", "image/webp"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  for (const auto& [extension, type] : kTypes) {
    if (name.ends_with(extension))
      return std::string(type);
  }
  return "application/octet-stream";
}

fs::path find_web_directory(const std::string& configured, const fs::path& executable,
                            const fs::path& source_tree_dist) {
  if (!configured.empty())
    return configured;
  for (const auto& candidate : {executable.parent_path() / "web", source_tree_dist}) {
    if (has_index(candidate))
      return candidate;
  }
  return {};
}

http::Response web_file_response(const WebFile& file, const http::Request& request) {
  http::Response response;
  response.headers.set("ETag", file.etag);
  response.headers.set("Cache-Control",
                       file.immutable ? "public, max-age=31536000, immutable" : "no-cache");
  response.headers.set("X-Content-Type-Options", "nosniff");
  if (file.content_type.starts_with("text/html")) {
    response.headers.set("Content-Security-Policy", web_security_policy());
    response.headers.set("X-Frame-Options", "DENY");
    response.headers.set("Referrer-Policy", "same-origin");
  }
  auto known = request.headers.get("If-None-Match");
  if (known && known->find(file.etag) != std::string_view::npos) {
    response.status = 304;
    return response;
  }
  response.status = 200;
  response.headers.set("Content-Type", file.content_type);
  response.body = file.body;
  http::use_precompressed(response, request, file.gzipped);
  return response;
}

const std::string& web_security_policy() {
  static const std::string policy =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; "
      "base-uri 'none'; object-src 'none'; frame-ancestors 'none'";
  return policy;
}

}  // namespace ordo::services::gateway
